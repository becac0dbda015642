#!/usr/bin/env bash
# Installs dokku on a Debian or Ubuntu server, as root:
#
#   ./install.sh [--key FILE] [--demo]                      from a checkout (dist/dokku, or built here)
#   curl -fsSL URL/install.sh | DOKKU_INSTALL_URL=... bash  piped: the binary comes from a release URL
#
# Every step first looks at what is there and changes only what differs, so a second run changes
# nothing. `./install.sh --help` lists the options.
#
# The whole script is one function called on the last line: piped into bash, nothing runs before
# bash has read all of it, and no command below reads the script's stdin.

main() {
  set -euo pipefail
  exec </dev/null

  local dokku_user=dokku
  local dokku_root=${DOKKU_ROOT:-/home/dokku}
  local bin=/usr/bin/dokku
  local share=/usr/share/dokku
  local nginx_conf_dir=${DOKKU_NGINX_CONF_DIR:-/etc/nginx/conf.d}
  local key_file=${DOKKU_INSTALL_KEY:-}
  local key_name=${DOKKU_INSTALL_KEY_NAME:-admin}
  local url=${DOKKU_INSTALL_URL:-}
  local demo=false
  # auto: the host's name when it resolves to an address other people can reach; empty: none.
  local domain=${DOKKU_INSTALL_DOMAIN-auto}
  local build_stack=true
  CHANGED=0

  while [ $# -gt 0 ]; do
    case "$1" in
      -h | --help) usage; return 0 ;;
      --key) key_file=${2:?--key needs a public key file}; shift 2 ;;
      --key=*) key_file=${1#--key=}; shift ;;
      --key-name) key_name=${2:?--key-name needs a name}; shift 2 ;;
      --key-name=*) key_name=${1#--key-name=}; shift ;;
      --demo) demo=true; shift ;;
      --domain) domain=${2:?--domain needs a host name}; shift 2 ;;
      --domain=*) domain=${1#--domain=}; shift ;;
      --no-domain) domain=""; shift ;;
      --no-stack) build_stack=false; shift ;;
      *) fail "Unknown option $1 (see --help)" ;;
    esac
  done

  [ "$(id -u)" = 0 ] || fail "Run me as root (sudo ./install.sh)"
  check_os

  # Where the program and its files come from: a release URL, or this checkout.
  local src_dir=""
  local self=${BASH_SOURCE[0]:-}
  if [ -n "$self" ] && [ -f "$self" ]; then src_dir=$(cd "$(dirname "$self")" && pwd); fi
  if [ -z "$url" ] && [ -z "$src_dir" ]; then
    fail "Piped into bash, I need DOKKU_INSTALL_URL: the release to install (a dokku binary or a .tar.gz)"
  fi

  step "Packages"
  install_packages "$url"

  step "Docker"
  ensure_docker

  step "The $dokku_user user and $dokku_root"
  ensure_user "$dokku_user" "$dokku_root"

  step "The dokku program"
  STAGED=$(mktemp -d)
  trap 'rm -rf "$STAGED"' EXIT
  fetch_program "$url" "$src_dir" "$STAGED"
  put_file "$STAGED/dokku" "$bin" 0755 root:root
  if [ -d "$STAGED/buildpacks" ]; then put_dir "$STAGED/buildpacks" "$share/buildpacks"; fi
  if [ -d "$STAGED/examples" ]; then put_dir "$STAGED/examples" "$share/examples"; fi

  step "nginx"
  ensure_nginx "$dokku_user" "$dokku_root" "$nginx_conf_dir"

  step "SSH"
  ensure_sshd

  step "cron"
  ensure_cron

  step "Boot"
  ensure_boot_unit "$dokku_user" "$dokku_root" "$bin"

  if [ "$build_stack" = true ]; then
    step "Stack image (offline: debootstrap, then docker import; a few minutes the first time)"
    as_dokku "$dokku_root" stack:build | indent
  fi

  if [ -n "$key_file" ]; then
    step "SSH key $key_name"
    add_key "$dokku_root" "$key_name" "$key_file"
  fi

  step "Global domain"
  ensure_global_domain "$dokku_root" "$domain"

  DEMO_URL=""
  if [ "$demo" = true ]; then
    step "Demo app"
    deploy_demo "$dokku_root" "$share/examples/hello"
  fi

  if [ "$CHANGED" = 0 ]; then say "Nothing to change: dokku is installed as asked"; fi
  next_steps "$dokku_root" "$DEMO_URL"
}

usage() {
  cat <<'EOF'
Usage: install.sh [--key FILE] [--key-name NAME] [--demo] [--no-stack]

Installs dokku on Debian or Ubuntu (run as root): Docker, nginx, OpenSSH and git if missing, the
dokku user, the dokku program, nginx's include file, a sudoers rule for reloading nginx, a boot unit
that runs `dokku ps:restore` (where systemd runs), a daily `dokku letsencrypt:auto-renew` (systemd
timer, else /etc/cron.d), and the offline stack image. Running it again changes nothing.

Options:
  --key FILE        add this public key as the first admin key (or DOKKU_INSTALL_KEY=FILE|KEY)
  --key-name NAME   the key's name (default: admin)
  --demo            also deploy the bundled example app (DOKKU_INSTALL_DEMO_APP, default demo)
                    and print its URL
  --domain NAME     the global domain: apps answer at APP.NAME (DOKKU_INSTALL_DOMAIN; default: this
                    host's name when it resolves to an address that is not loopback)
  --no-domain       no global domain: each app without domains of its own is served by nginx on a
                    port of its own, on every address (the demo's URL is this host's address and port)
  --no-stack        do not build the stack image now (`dokku stack:build` later)
  -h, --help        this text

The program comes from DOKKU_INSTALL_URL (a dokku binary, or a .tar.gz holding dokku,
buildpacks/ and examples/) when set; else from dist/dokku beside this script, built with
`npm ci && npm run build` when missing. DOKKU_ROOT sets the data directory (default /home/dokku).
Run by root on the server, dokku becomes the owner of DOKKU_ROOT (the dokku user) before it starts.

Piped: curl -fsSL https://example.com/install.sh | DOKKU_INSTALL_URL=https://example.com/dokku.tar.gz bash
EOF
}

step() { echo "-----> $*"; }
say() { echo "       $*"; }
indent() { sed 's/^/       /'; }
fail() {
  echo " !     $*" >&2
  exit 1
}
changed() {
  CHANGED=$((CHANGED + 1))
  say "$*"
}

check_os() {
  [ -r /etc/os-release ] || fail "No /etc/os-release: this installer is for Debian and Ubuntu"
  local id like
  # shellcheck disable=SC1091 # the system's own file
  id=$(. /etc/os-release && echo "${ID:-}")
  # shellcheck disable=SC1091
  like=$(. /etc/os-release && echo "${ID_LIKE:-}")
  case " $id $like " in
    *" debian "* | *" ubuntu "*) ;;
    *) fail "This installer is for Debian and Ubuntu, not ${id:-this system}" ;;
  esac
  command -v apt-get >/dev/null || fail "apt-get is missing"
}

is_installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]; }

docker_answers() { [ -S /var/run/docker.sock ] && { ! command -v docker >/dev/null || docker info >/dev/null 2>&1; }; }

install_packages() {
  local url=$1 wanted=(nginx openssh-server git debootstrap sudo ca-certificates cron) missing=() p
  # An engine that already answers (docker-ce, or a socket handed in) is kept: docker.io would clash.
  if ! docker_answers && ! command -v dockerd >/dev/null; then wanted+=(docker.io); fi
  if [ -n "$url" ] && ! command -v curl >/dev/null && ! command -v wget >/dev/null; then wanted+=(curl); fi
  for p in "${wanted[@]}"; do is_installed "$p" || missing+=("$p"); done
  if [ ${#missing[@]} -eq 0 ]; then
    say "Present: ${wanted[*]}"
    return
  fi
  say "Installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" | indent
  changed "Installed ${missing[*]}"
}

has_systemd() { [ -d /run/systemd/system ]; }

ensure_docker() {
  if has_systemd && systemctl list-unit-files docker.service >/dev/null 2>&1; then
    systemctl is-enabled --quiet docker 2>/dev/null || { systemctl enable --quiet docker; changed "Enabled docker at boot"; }
    systemctl is-active --quiet docker || { systemctl start docker; changed "Started docker"; }
  elif ! [ -S /var/run/docker.sock ] && command -v dockerd >/dev/null; then
    nohup dockerd >/var/log/dockerd.log 2>&1 &
    changed "Started dockerd (no systemd here; log in /var/log/dockerd.log)"
  fi
  for _ in $(seq 1 30); do [ -S /var/run/docker.sock ] && break; sleep 1; done
  [ -S /var/run/docker.sock ] || fail "No Docker engine at /var/run/docker.sock: start one and run me again"
  say "Docker engine at /var/run/docker.sock"
}

ensure_user() {
  local user=$1 root=$2 sock_gid sock_group
  # The user joins the group that owns the engine's socket (docker). A socket handed in from
  # another system (a container's) may carry a gid no group here has: a docker group gets it.
  sock_gid=$(stat -c %g /var/run/docker.sock)
  sock_group=$(getent group "$sock_gid" | cut -d: -f1 || true)
  if [ -z "$sock_group" ]; then
    if getent group docker >/dev/null; then sock_group=docker-engine; else sock_group=docker; fi
    groupadd --gid "$sock_gid" "$sock_group"
    changed "Created the group $sock_group for the Docker socket"
  fi
  if ! id "$user" >/dev/null 2>&1; then
    useradd --home-dir "$root" --create-home --shell /bin/bash --user-group "$user"
    # Key logins only: '*' matches no password, and unlike '!' it does not lock the account for sshd.
    usermod -p '*' "$user"
    changed "Created the user $user"
  fi
  if ! id -nG "$user" | tr ' ' '\n' | grep -qx "$sock_group"; then
    usermod -aG "$sock_group" "$user"
    changed "Added $user to the $sock_group group (the Docker socket's)"
  fi
  if [ ! -d "$root" ]; then
    install -d -o "$user" -g "$user" -m 0755 "$root"
    changed "Created $root"
  fi
  if [ "$(stat -c %U "$root")" != "$user" ]; then
    chown "$user:$user" "$root"
    changed "Gave $root to $user"
  fi
  if [ ! -d "$root/.ssh" ]; then
    install -d -o "$user" -g "$user" -m 0700 "$root/.ssh"
    changed "Created $root/.ssh"
  fi
  say "User $user, home and data in $root"
}

# fetch_program URL SRC_DIR OUT: puts dokku, buildpacks/ and (when there) examples/ into OUT.
fetch_program() {
  local url=$1 src=$2 out=$3
  if [ -n "$url" ]; then
    say "Downloading $url"
    case "$url" in
      file://*) cp "${url#file://}" "$out/download" || fail "Cannot read $url" ;;
      *)
        if command -v curl >/dev/null; then
          curl -fsSL --retry 3 -o "$out/download" "$url" || fail "Could not download $url"
        else
          wget -q -O "$out/download" "$url" || fail "Could not download $url"
        fi
        ;;
    esac
    if gzip -t "$out/download" 2>/dev/null; then
      mkdir -p "$out/unpacked"
      tar -xzf "$out/download" -C "$out/unpacked"
      local top
      top=$(find "$out/unpacked" -maxdepth 2 -type f -name dokku | head -n1)
      [ -n "$top" ] || fail "$url holds no file named dokku"
      top=$(dirname "$top")
      mv "$top/dokku" "$out/dokku"
      [ -d "$top/buildpacks" ] && mv "$top/buildpacks" "$out/buildpacks"
      [ -d "$top/examples" ] && mv "$top/examples" "$out/examples"
    else
      mv "$out/download" "$out/dokku"
    fi
  elif [ -n "$src" ]; then
    if [ ! -x "$src/dist/dokku" ]; then
      if [ ! -f "$src/package.json" ] || [ ! -f "$src/src/main.ts" ]; then fail "No dist/dokku beside $0 and no checkout to build it from: set DOKKU_INSTALL_URL"; fi
      command -v npm >/dev/null || fail "dist/dokku is missing and building it needs Node.js and npm: install them, or set DOKKU_INSTALL_URL"
      say "Building dist/dokku (npm ci && npm run build)"
      (cd "$src" && npm ci --no-audit --no-fund && npm run build) 2>&1 | indent
    fi
    cp "$src/dist/dokku" "$out/dokku"
    [ -d "$src/buildpacks" ] && cp -a "$src/buildpacks" "$out/buildpacks"
    [ -d "$src/examples" ] && cp -a "$src/examples" "$out/examples"
  else
    fail "Piped into bash, I need DOKKU_INSTALL_URL: the release to install (a dokku binary or a .tar.gz)"
  fi
  chmod 0755 "$out/dokku"
  "$out/dokku" version >/dev/null || fail "The downloaded dokku does not run on this machine"
  [ -d "$out/buildpacks" ] || say "No built-in buildpacks came with it: apps need buildpacks:add with git URLs"
}

# put_file SRC DEST MODE OWNER: replaces DEST only when its bytes, mode or owner differ.
put_file() {
  local src=$1 dest=$2 mode=$3 owner=$4
  if [ -f "$dest" ] && cmp -s "$src" "$dest" && [ "$(stat -c '%a %U:%G' "$dest")" = "${mode#0} $owner" ]; then
    say "$dest is up to date"
    return
  fi
  install -D -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$src" "$dest.new"
  mv -f "$dest.new" "$dest"
  changed "Wrote $dest"
}

# put_text DEST MODE OWNER <<< TEXT
put_text() {
  local tmp
  tmp=$(mktemp)
  cat >"$tmp"
  put_file "$tmp" "$1" "$2" "$3"
  rm -f "$tmp"
}

# put_dir SRC DEST: DEST becomes a copy of SRC (root-owned), replaced whole when anything differs.
put_dir() {
  local src=$1 dest=$2
  if [ -d "$dest" ] && diff -r -q "$src" "$dest" >/dev/null 2>&1; then
    say "$dest is up to date"
    return
  fi
  rm -rf "$dest.new"
  mkdir -p "$(dirname "$dest")"
  cp -R "$src" "$dest.new"
  chown -R root:root "$dest.new"
  chmod -R u+rwX,go+rX,go-w "$dest.new"
  rm -rf "$dest"
  mv "$dest.new" "$dest"
  changed "Installed $dest"
}

ensure_nginx() {
  local user=$1 root=$2 dir=$3
  # The file nginx's http block includes: every app's vhost (written by dokku as $user).
  put_text "$dir/dokku.conf" 0644 root:root <<EOF
# dokku: routes to every app; rewritten by dokku
server_names_hash_bucket_size 512;
server_names_hash_max_size 4096;
map \$http_upgrade \$dokku_connection_upgrade {
  default upgrade;
  '' '';
}
include "${root%/}/*/nginx.conf";
EOF
  # dokku checks and reloads nginx through sudo, for exactly these two commands.
  local nginx_bin
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  local sudoers
  sudoers=$(mktemp)
  printf '# dokku may check and reload nginx, nothing else\n%s ALL=(root) NOPASSWD: %s -t, %s -s reload\n' "$user" "$nginx_bin" "$nginx_bin" >"$sudoers"
  visudo -c -q -f "$sudoers" >/dev/null || fail "visudo refused the sudoers rule"
  put_file "$sudoers" /etc/sudoers.d/dokku-nginx 0440 root:root
  rm -f "$sudoers"
  if has_systemd; then
    systemctl is-enabled --quiet nginx 2>/dev/null || { systemctl enable --quiet nginx; changed "Enabled nginx at boot"; }
    systemctl is-active --quiet nginx || { systemctl start nginx; changed "Started nginx"; }
  elif ! { [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; }; then
    "$nginx_bin" -t -q || fail "nginx -t refused the configuration"
    "$nginx_bin"
    changed "Started nginx (no systemd here: start it at boot yourself)"
  fi
  say "nginx includes ${root%/}/*/nginx.conf"
}

ensure_sshd() {
  if has_systemd; then
    local unit=ssh
    systemctl list-unit-files ssh.service >/dev/null 2>&1 || unit=sshd
    systemctl is-enabled --quiet "$unit" 2>/dev/null || { systemctl enable --quiet "$unit"; changed "Enabled $unit at boot"; }
    systemctl is-active --quiet "$unit" || { systemctl start "$unit"; changed "Started $unit"; }
    say "sshd runs; git push and ssh commands arrive as the dokku user"
  elif [ -s /run/sshd.pid ] && kill -0 "$(cat /run/sshd.pid)" 2>/dev/null; then
    say "sshd runs"
  else
    say "sshd is installed but not running, and there is no systemd here: start /usr/sbin/sshd for git push"
  fi
}

# app.json cron tasks are run by the host's cron daemon, from the dokku user's crontab.
ensure_cron() {
  if has_systemd; then
    systemctl is-enabled --quiet cron 2>/dev/null || { systemctl enable --quiet cron; changed "Enabled cron at boot"; }
    systemctl is-active --quiet cron || { systemctl start cron; changed "Started cron"; }
  elif ! { [ -s /run/crond.pid ] && kill -0 "$(cat /run/crond.pid)" 2>/dev/null; }; then
    cron
    changed "Started cron (no systemd here: start it at boot yourself)"
  fi
  say "cron runs app.json cron tasks (cron:list)"
}

ensure_boot_unit() {
  local user=$1 root=$2 bin=$3
  if ! has_systemd; then
    say "No systemd: run '$bin ps:restore' as $user at boot to start the apps again"
    # Certificates from Let's Encrypt are renewed daily (cron reads this file once it runs).
    put_text /etc/cron.d/dokku-letsencrypt 0644 root:root <<EOF
# dokku: renew Let's Encrypt certificates that expire within 30 days
DOKKU_ROOT=$root
17 3 * * * $user $bin letsencrypt:auto-renew
EOF
    return
  fi
  local before=$CHANGED
  put_text /etc/systemd/system/dokku-restore.service 0644 root:root <<EOF
[Unit]
Description=dokku: start every app as recorded (ps:restore)
Wants=docker.service
After=docker.service nginx.service network-online.target

[Service]
Type=oneshot
User=$user
Environment=DOKKU_ROOT=$root
ExecStart=$bin ps:restore

[Install]
WantedBy=multi-user.target
EOF
  # Certificates from Let's Encrypt are renewed daily.
  put_text /etc/systemd/system/dokku-letsencrypt.service 0644 root:root <<EOF
[Unit]
Description=dokku: renew Let's Encrypt certificates that expire within 30 days
After=docker.service nginx.service network-online.target

[Service]
Type=oneshot
User=$user
Environment=DOKKU_ROOT=$root
ExecStart=$bin letsencrypt:auto-renew
EOF
  put_text /etc/systemd/system/dokku-letsencrypt.timer 0644 root:root <<EOF
[Unit]
Description=dokku: renew Let's Encrypt certificates daily

[Timer]
OnCalendar=daily
RandomizedDelaySec=1h
Persistent=true

[Install]
WantedBy=timers.target
EOF
  [ "$CHANGED" = "$before" ] || systemctl daemon-reload
  systemctl is-enabled --quiet dokku-restore.service 2>/dev/null || { systemctl enable --quiet dokku-restore.service; changed "Enabled dokku-restore at boot"; }
  systemctl is-enabled --quiet dokku-letsencrypt.timer 2>/dev/null || { systemctl enable --quiet --now dokku-letsencrypt.timer; changed "Enabled the daily certificate renewal"; }
}

# as_dokku ROOT WORDS...: runs dokku as the dokku user, with its root.
as_dokku() {
  local root=$1
  shift
  runuser -u dokku -- env HOME="$root" DOKKU_ROOT="$root" /usr/bin/dokku "$@"
}

add_key() {
  local root=$1 name=$2 key=$3 text fp
  if [ -f "$key" ]; then text=$(cat "$key"); else text=$key; fi
  fp=$(printf '%s\n' "$text" | ssh-keygen -l -E sha256 -f - 2>/dev/null | awk '{print $2}') || true
  [ -n "$fp" ] || fail "Not a public key: $key"
  if as_dokku "$root" ssh-keys:list --format json | grep -qF "\"fingerprint\": \"$fp\""; then
    say "Key $fp is already added"
    return
  fi
  printf '%s\n' "$text" | runuser -u dokku -- env HOME="$root" DOKKU_ROOT="$root" /usr/bin/dokku ssh-keys:add --admin "$name" - | indent
  CHANGED=$((CHANGED + 1))
}

# ensure_global_domain ROOT DOMAIN: adds DOMAIN (auto: the host's name, if it resolves beyond
# loopback) as a global domain unless it is one already; empty: nothing.
ensure_global_domain() {
  local root=$1 domain=$2 address
  if [ "$domain" = auto ]; then
    domain=$(hostname -f 2>/dev/null || true)
    address=$(getent ahostsv4 "$domain" 2>/dev/null | awk 'NR == 1 { print $1 }')
    case "$domain:$address" in
      *.*:?*) case "$address" in 127.*) domain="" ;; esac ;;
      *) domain="" ;;
    esac
  fi
  if [ -z "$domain" ]; then
    say "No global domain: apps without domains get a port of their own (--domain NAME sets one)"
    return
  fi
  if as_dokku "$root" domains:report --global --domains-global-vhosts | tr ' ' '\n' | grep -qxF "$domain"; then
    say "Global domain $domain"
    return
  fi
  as_dokku "$root" domains:add-global "$domain" | indent
  CHANGED=$((CHANGED + 1))
}

# deploy_demo ROOT DIR: deploys the example (once) and sets DEMO_URL.
deploy_demo() {
  local root=$1 dir=$2 app=${DOKKU_INSTALL_DEMO_APP:-demo} url
  [ -d "$dir" ] || fail "No example app at $dir"
  as_dokku "$root" apps:exists "$app" >/dev/null 2>&1 || { as_dokku "$root" apps:create "$app" | indent; CHANGED=$((CHANGED + 1)); }
  # Without a global domain the demo would have no name to answer at: nginx serves it on a port of
  # its own on every address, so its URL opens from another machine.
  if [ -z "$(as_dokku "$root" domains:report --global --domains-global-vhosts)" ] && [ -z "$(as_dokku "$root" domains:report "$app" --domains-host-port)" ]; then
    as_dokku "$root" domains:disable "$app" | indent
    CHANGED=$((CHANGED + 1))
  fi
  if [ "$(as_dokku "$root" ps:report "$app" --deployed 2>/dev/null)" = true ]; then
    say "The demo app is deployed already"
  else
    tar -C "$dir" -c . | runuser -u dokku -- env HOME="$root" DOKKU_ROOT="$root" /usr/bin/dokku git:from-archive "$app" - 2>&1 | indent
    CHANGED=$((CHANGED + 1))
  fi
  url=$(as_dokku "$root" url "$app" 2>/dev/null || true)
  if [ -z "$url" ]; then
    url=$(as_dokku "$root" ps:report "$app" --upstreams | awk 'NF { print "http://" $1; exit }')
  fi
  [ -n "$url" ] || fail "The demo app has no URL"
  local answered=false
  # The deploy's own checks saw it answer; this asks from here, as a visitor on this machine would.
  for _ in 1 2 3; do
    if (command -v curl >/dev/null && curl -fsS -o /dev/null --max-time 2 "$url") 2>/dev/null; then answered=true; break; fi
    sleep 1
  done
  if [ "$answered" = true ]; then say "$url answers"; else say "$url did not answer from here (is this shell on the server's network?)"; fi
  DEMO_URL=$url
}

next_steps() {
  local root=$1 demo_url=$2 host
  host=$(hostname -f 2>/dev/null || hostname)
  echo "=====> dokku $(/usr/bin/dokku version | awk '{print $2}') is installed"
  if [ -n "$demo_url" ]; then say "Demo app: $demo_url"; fi
  echo "=====> Next steps"
  if ! as_dokku "$root" ssh-keys:list --format json | grep -q fingerprint; then
    say "Add your key:   cat ~/.ssh/id_ed25519.pub | ssh root@$host dokku ssh-keys:add you -"
  fi
  say "Deploy an app:  git remote add dokku dokku@$host:myapp && git push dokku main"
  say "Run commands:   ssh dokku@$host apps:list   (or contrib/dokku from a checkout with a dokku remote)"
  say "Everything:     ssh dokku@$host help"
}

main "$@"
