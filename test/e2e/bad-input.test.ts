import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bindCli,
  errorLines,
  fingerprint,
  makeRoot,
  removeRoots,
  requireDist,
  STACK_TRACE,
  TARGETS,
  withDb,
  type Cli,
  type RunResult,
  type Target,
} from '../helpers/cli.ts';

/**
 * Bad input, run as real processes: every case must end in one clear ` !     ` line on stderr
 * (plus the usage line for usage errors), exit 1 for a user error and 2 for a usage error, no stack
 * trace, nothing on stdout, and not one byte of the database changed.
 */

beforeAll(requireDist);
afterAll(removeRoots);

const b64 = (bytes: number[] | string) => Buffer.from(bytes as never).toString('base64');

interface Case {
  name: string;
  argv?: string[];
  ssh?: string;
  code: 1 | 2;
  message: RegExp;
}

const argv = (name: string, words: string[], code: 1 | 2, message: RegExp): Case => ({ name, argv: words, code, message });
const ssh = (name: string, command: string, code: 1 | 2, message: RegExp): Case => ({ name, ssh: command, code, message });

const INVALID_NAME = /^Invalid app name '.*': use lowercase letters, digits and dashes/;
const INVALID_KEY = /^Invalid config key '.*': use letters, digits and underscores/;
const UNKNOWN_RUBY = /^Unknown buildpack 'ruby': use a built-in one \(nodejs, python, static, procfile\) or a git URL$/;
const REFUSED = /^Refusing command: .+ at character \d+(; .+)?$/;

const CASES: Case[] = [
  // App names: a DNS label, lowercase, at most 63 characters.
  argv('uppercase app name', ['apps:create', 'Web'], 1, INVALID_NAME),
  argv('underscore in app name', ['apps:create', 'my_app'], 1, INVALID_NAME),
  argv('app name ending in a dash', ['apps:create', 'web-'], 1, INVALID_NAME),
  argv('app name with a space', ['apps:create', 'my app'], 1, INVALID_NAME),
  argv('app name with a dot', ['apps:create', 'my.app'], 1, INVALID_NAME),
  argv('app name with a slash', ['apps:create', '../etc'], 1, INVALID_NAME),
  argv('app name with a newline', ['apps:create', 'web\nx'], 1, /^Invalid app name 'web\\x0ax'/),
  argv('app name not ASCII', ['apps:create', 'café'], 1, INVALID_NAME),
  argv('app name of 64 characters', ['apps:create', 'a'.repeat(64)], 1, /^App name is too long \(64 characters, at most 63\)$/),
  argv('empty app name', ['apps:create', ''], 1, /^App name must not be empty$/),
  argv('app name starting with a dash', ['apps:create', '-web'], 2, /^Unknown option `-w`$/),
  argv('app name already taken', ['apps:create', 'web'], 1, /^Name is already taken: web$/),
  argv('rename to an invalid name', ['apps:rename', 'web', 'Web'], 1, INVALID_NAME),
  argv('rename an app that does not exist', ['apps:rename', 'nope', 'fine'], 1, /^App nope does not exist$/),
  argv('clone an app that does not exist', ['apps:clone', 'nope', 'fine'], 1, /^App nope does not exist$/),
  argv('clone to an invalid name', ['apps:clone', 'web', 'Bad_Name'], 1, INVALID_NAME),
  argv('rename onto a taken name', ['apps:rename', 'web', 'other'], 1, /^Name is already taken: other$/),
  argv('destroy without --force and without a terminal', ['apps:destroy', 'web'], 1, /^Refusing to destroy web without confirmation: pass --force$/),
  argv('destroy an app that does not exist', ['apps:destroy', 'nope', '--force'], 1, /^App nope does not exist$/),
  argv('lock an app that does not exist', ['apps:lock', 'nope'], 1, /^App nope does not exist$/),
  argv('ps:inspect of an app that does not exist', ['ps:inspect', 'nope'], 1, /^App nope does not exist$/),
  argv('ps:inspect of an invalid app name', ['ps:inspect', 'No'], 1, INVALID_NAME),
  argv('builds:info of a build that is not a number', ['builds:info', 'web', 'latest'], 1, /^Build number must be/),
  argv('builds:info of a build that does not exist', ['builds:info', 'web', '7'], 1, /^Build 7 of web does not exist$/),
  argv('exists with an invalid name', ['apps:exists', 'BAD'], 1, INVALID_NAME),
  argv('report with an invalid name', ['apps:report', 'a_b'], 1, INVALID_NAME),
  argv('report flag that is no field', ['apps:report', 'web', '--nope'], 1, /^Invalid flag passed, valid flags: --app-created-at, --app-dir, --app-locked$/),
  argv('report with two field flags', ['ps:report', 'web', '--deployed', '--running'], 2, /^ps:report command allows only a single flag$/),
  argv('report field flag with --format', ['apps:report', 'web', '--app-locked', '--format', 'json'], 2, /^--format flag cannot be specified when specifying an info flag$/),
  argv('--app without a name', ['--app'], 2, /^--app needs an app name$/),
  argv('--app before a flag', ['--app', '--quiet', 'config'], 2, /^--app needs an app name$/),
  argv('--app with an invalid name', ['--app', 'Web', 'config'], 1, INVALID_NAME),
  argv('--app for a command that takes no app', ['--app', 'web', 'apps:list'], 2, /^apps:list does not take an app, so --app cannot name one$/),
  argv('global flags and no command', ['--force', '--app', 'web'], 2, /^Give a command after the global flags$/),
  argv('help for no namespace', ['nope:help'], 1, /^`nope:help` is not a dokku command/),
  argv('git:sync from file://', ['git:sync', 'web', 'file:///etc'], 1, /^Invalid repository 'file:\/\/\/etc': the file:\/\/ protocol is not allowed \(https, http, ssh\)$/),
  argv('git:sync from a local path', ['git:sync', 'web', '/home/dokku/other.git'], 1, /^Invalid repository '\/home\/dokku\/other.git': give an https:\/\/, http:\/\/, ssh:\/\/ or user@host:path address$/),
  argv('git:sync with a ref starting with a colon', ['git:sync', 'web', 'https://example.org/r.git', ':refs/heads/x'], 1, /^Invalid git ref ':refs\/heads\/x'$/),
  argv('git:sync with a ref holding ..', ['git:sync', 'web', 'https://example.org/r.git', 'a..b'], 1, /^Invalid git ref 'a\.\.b'$/),
  argv('git:sync of an app that does not exist', ['git:sync', 'nope', 'https://example.org/r.git'], 1, /^App nope does not exist$/),
  argv('git:status of an app that does not exist', ['git:status', 'nope'], 1, /^App nope does not exist$/),
  argv('git:load-image of an invalid image', ['git:load-image', 'web', 'Bad Image'], 1, /^Invalid image reference 'Bad Image'$/),
  argv('git:load-image with nothing on stdin', ['git:load-image', 'web', 'busybox:latest'], 1, /^The image archive on stdin is empty: nothing was sent$/),
  argv('git:from-archive of an unknown archive type', ['git:from-archive', 'web', '-', '--archive-type', 'rar'], 2, /^Invalid --archive-type 'rar': tar, tar.gz or zip$/),
  argv('git:allow-host of a host with a semicolon', ['git:allow-host', 'host;id'], 1, /^Invalid host 'host;id'$/),
  argv('git:allow-host on port 0', ['git:allow-host', 'example.org', '--port', '0'], 1, /--port/),

  // Config keys and values.
  argv('key starting with a digit', ['config:set', 'web', '1A=x'], 1, INVALID_KEY),
  argv('key with a dash', ['config:set', 'web', 'A-B=x'], 1, INVALID_KEY),
  argv('key with a space', ['config:set', 'web', 'A B=x'], 1, INVALID_KEY),
  argv('key not ASCII', ['config:set', 'web', 'É=x'], 1, INVALID_KEY),
  argv('assignment without a key', ['config:set', 'web', '=x'], 1, /^Expected KEY=VALUE, got '=x'$/),
  argv('K without =', ['config:set', 'web', 'K'], 1, /^Expected KEY=VALUE, got 'K'$/),
  argv('one bad pair among good ones sets none', ['config:set', 'web', 'GOOD=1', '1BAD=2'], 1, INVALID_KEY),
  argv('--encoded value that is not base64', ['config:set', '--encoded', 'web', 'K=!!!'], 1, /^Value of K is not valid base64$/),
  argv('--encoded value with a NUL byte', ['config:set', '--encoded', 'web', `K=${b64('a\0b')}`], 1, /^Value of K contains a NUL byte$/),
  argv('--encoded value that is not UTF-8', ['config:set', '--encoded', 'web', `K=${b64([0xff, 0xfe])}`], 1, /^Value of K is not valid UTF-8 once decoded$/),
  argv('get with an invalid key', ['config:get', 'web', 'bad-key'], 1, INVALID_KEY),
  argv('unset with an invalid key', ['config:unset', 'web', 'OK', '9x'], 1, INVALID_KEY),
  argv('set on an app that does not exist', ['config:set', 'nope', 'K=V'], 1, /^App nope does not exist$/),
  argv('get on an app that does not exist', ['config:get', 'nope', 'K'], 1, /^App nope does not exist$/),
  argv('set with an invalid app name', ['config:set', 'No', 'K=V'], 1, INVALID_NAME),
  argv('set with no pairs', ['config:set', 'web'], 2, /^No config vars given: use KEY=VALUE$/),
  argv('set with nothing at all', ['config:set'], 2, /^Missing app name \(or pass --global\)$/),
  argv('import in a format it does not read', ['config:import', 'web', '--format', 'shell'], 2, /^Unknown format 'shell': use one of envfile, json$/),
  argv('import into an app that does not exist', ['config:import', 'nope'], 1, /^App nope does not exist$/),
  argv('import with an extra word', ['config:import', 'web', 'A=1'], 2, /^Unexpected argument: A=1$/),
  argv('import with nothing on stdin', ['config:import', 'web'], 1, /^No config vars on stdin$/),
  argv('bundle without an app', ['config:bundle'], 2, /^Missing app name \(or pass --global\)$/),
  argv('bundle of an invalid app name', ['config:bundle', 'No'], 1, INVALID_NAME),
  argv('appjson-path that is absolute', ['app-json:set', 'web', 'appjson-path', '/etc/app.json'], 1, /^Invalid path '\/etc\/app.json': give a path inside the repository, not an absolute path$/),
  argv('appjson-path that climbs out', ['app-json:set', 'web', 'appjson-path', 'a/../../app.json'], 1, /^Invalid path 'a\/\.\.\/\.\.\/app.json': '\.\.' may not appear in it$/),
  argv('app-json property that does not exist', ['app-json:set', 'web', 'path', 'x'], 1, /^Unknown app-json property 'path': use one of appjson-path$/),
  argv('app-json:set without a property', ['app-json:set', 'web'], 2, /^Missing property: one of appjson-path$/),
  argv('unset with no keys', ['config:unset', 'web'], 2, /^No config keys given$/),
  argv('get without a key', ['config:get', 'web'], 2, /^Expected exactly one KEY$/),
  argv('get with two keys', ['config:get', 'web', 'A', 'B'], 2, /^Expected exactly one KEY$/),
  argv('clear with an extra word', ['config:clear', 'web', 'extra'], 2, /^Unexpected argument: extra$/),
  argv('show with an extra word', ['config:show', 'web', 'extra'], 2, /^Unexpected argument: extra$/),
  argv('keys with an extra word', ['config:keys', 'web', 'extra'], 2, /^Unexpected argument: extra$/),

  // Formats.
  argv('apps:list --format yaml', ['apps:list', '--format', 'yaml'], 2, /^Unknown format 'yaml': use one of text, json$/),
  argv('apps:report --format xml', ['apps:report', 'web', '--format', 'xml'], 2, /^Unknown format 'xml'/),
  argv('config:export --format yaml', ['config:export', 'web', '--format', 'yaml'], 2, /^Unknown format 'yaml': use one of exports, envfile, docker-args, docker-args-keys, shell, pretty, json, json-list$/),
  argv('certs:show of a part that is not crt or key', ['certs:show', 'web', 'pem'], 2, /^Unknown part 'pem': use crt or key$/),
  argv('certs:show of an app with no certificate', ['certs:show', 'web', 'crt'], 1, /^web has no certificate: certs:add or certs:generate gives it one$/),
  argv('config:export --format without a value', ['config:export', 'web', '--format'], 2, /^option `--format <format>` value is missing$/),
  argv('events --format csv', ['events', '--format', 'csv'], 2, /^Unknown format 'csv'/),

  // -n and --since.
  argv('-n 0', ['events', '-n', '0'], 1, /^-n must be between 1 and 1000000, got 0$/),
  argv('-n abc', ['events', '-n', 'abc'], 1, /^-n must be a whole number, got 'abc'$/),
  argv('-n 1.5', ['events', '-n', '1.5'], 1, /^-n must be a whole number, got '1.5'$/),
  argv('-n 1000001', ['events', '-n', '1000001'], 1, /^-n must be between 1 and 1000000/),
  argv('-n -1', ['events', '-n', '-1'], 2, /^Unknown option `-1`$/),
  argv('-n without a value', ['events', '-n'], 2, /^option `-n, --num <count>` value is missing$/),
  argv('--since yesterday', ['events', '--since', 'yesterday'], 1, /^Invalid --since 'yesterday': use an ISO time/),
  argv('--since month 13', ['events', '--since', '2026-13-01'], 1, /^Invalid --since '2026-13-01'/),
  argv('--since February 30', ['events', '--since', '2026-02-30'], 1, /^Invalid --since '2026-02-30'/),
  argv('--since a span beyond any date', ['events', '--since', '99999999999d'], 1, /^Invalid --since '99999999999d'/),
  argv('--since 5 weeks', ['events', '--since', '5w'], 1, /^Invalid --since '5w'/),
  argv('--since without a value', ['events', '--since'], 2, /^option `--since <time>` value is missing$/),
  argv('events of an app that never existed', ['events', 'nope'], 1, /^App nope does not exist$/),

  // Commands and arguments.
  argv('unknown command', ['nope'], 1, /^`nope` is not a dokku command\. See `dokku help` for a list of commands\.$/),
  argv('unknown subcommand', ['apps:nope'], 1, /^`apps:nope` is not a dokku command/),
  argv('missing app argument', ['apps:create'], 2, /^missing required args for command `apps:create <app>`$/),
  argv('missing second argument', ['apps:rename', 'web'], 2, /^missing required args for command `apps:rename <old-app> <new-app>`$/),
  argv('one argument too many', ['apps:create', 'a', 'b'], 2, /^Unused args: `b`$/),
  argv('unknown option', ['apps:list', '--bogus'], 2, /^Unknown option `--bogus`$/),
  argv('an option of another command', ['apps:list', '--force'], 2, /^Unknown option `--force`$/),

  // One-off commands: the words after the app are the command's, but the app is dokku's.
  argv('run with an invalid app name', ['run', 'Web', 'true'], 1, INVALID_NAME),
  argv('run without a command', ['run', 'web'], 1, /^Give a command to run, e.g. dokku run myapp node -v$/),
  argv('run on an app that does not exist', ['run', 'nope', 'sh', '-c', 'exit 7'], 1, /^App nope does not exist$/),
  argv('run with an unknown option before the app', ['run', '--bogus', 'web', 'true'], 2, /^Unknown option `--bogus`$/),
  argv('run:detached with an invalid app name', ['run:detached', 'a_b', 'true'], 1, INVALID_NAME),
  argv('run:detached without a command', ['run:detached', 'web'], 1, /^Give a command to run, e.g. dokku run myapp node -v$/),
  argv('run:detached on an app never deployed', ['run:detached', 'web', 'sleep', '--flag'], 1, /^web has not been deployed$/),
  argv('run:detached on an app that does not exist', ['run:detached', 'nope', 'true'], 1, /^App nope does not exist$/),
  argv('enter with an invalid process', ['enter', 'web', 'web.x', 'sh', '-c', 'true'], 1, /^Invalid process 'web\.x': use TYPE or TYPE\.N, e\.g\. web\.1$/),

  // Words checked by the same rule the build or the scheduler applies, with the same reason.
  argv('buildpack that is no built-in', ['buildpacks:add', 'web', 'ruby'], 1, UNKNOWN_RUBY),
  argv('BUILDPACK_URL that is no built-in', ['config:set', 'web', 'BUILDPACK_URL=ruby'], 1, UNKNOWN_RUBY),
  argv('buildpack list set as a property', ['buildpacks:set-property', 'web', 'list', '["ruby"]'], 2, /^Use buildpacks:add, buildpacks:set, buildpacks:remove or buildpacks:clear to change the buildpack list$/),
  argv('valid buildpack list set as a property', ['buildpacks:set-property', 'web', 'list', '["nodejs"]'], 2, /^Use buildpacks:add, buildpacks:set, /),
  argv('builds:cancel with nothing running', ['builds:cancel', 'web'], 1, /^No build of web is running$/),
  argv('builds retention of zero', ['builds:set', 'web', 'retention', '0'], 1, /^Invalid value for builds retention: '0' \(expected a whole number from 1 to 10000\)$/),
  argv('unknown builds property', ['builds:set', 'web', 'keep', '3'], 1, /^Unknown builds property 'keep': use one of retention$/),
  argv('builds:prune with an app and --all-apps', ['builds:prune', 'web', '--all-apps'], 2, /^Name an app or pass --all-apps, not both$/),
  argv('repo:gc with an invalid app name', ['repo:gc', 'We_b'], 1, INVALID_NAME),
  argv('repo:purge-cache on an app that does not exist', ['repo:purge-cache', 'nope'], 1, /^App nope does not exist$/),
  argv('buildpacks:detect with an invalid app name', ['buildpacks:detect', '../web'], 1, INVALID_NAME),
  argv('report of an app that does not exist', ['report', 'nope'], 1, /^App nope does not exist$/),
  argv('unknown builder', ['builder:set', 'web', 'selected', 'pack'], 1, /^Unknown builder 'pack': use one of herokuish, dockerfile, null$/),
  argv('process type with a dot', ['ps:scale', 'web', 'we.b=1'], 1, /^Invalid scale 'we\.b=1': invalid process type 'we\.b' \(letters, digits, '-' and '_', starting with a letter or digit, at most 63 characters\)$/),
  argv('process type of 64 characters', ['ps:scale', 'web', `${'w'.repeat(64)}=1`], 1, /^Invalid scale '.*': invalid process type/),
  argv('restart policy Docker does not have', ['ps:set', 'web', 'restart-policy', 'sometimes'], 1, /^Invalid restart-policy 'sometimes': use no, always, unless-stopped or on-failure\[:N\]$/),
  argv('stop timeout beyond its range', ['ps:set', 'web', 'stop-timeout-seconds', '3601'], 1, /^Invalid value for ps stop-timeout-seconds: '3601' \(expected a whole number from 1 to 3600\)$/),
  argv('stop timeout not a number', ['ps:set', 'web', 'stop-timeout-seconds', '1e3'], 1, /^Invalid value for ps stop-timeout-seconds: '1e3'/),
  argv('procfile path on the server', ['ps:set', 'web', 'procfile-path', '/etc/passwd'], 1, /^Invalid path '\/etc\/passwd': give a path inside the repository, not an absolute path$/),
  argv('procfile path out of the repository', ['ps:set', 'web', 'procfile-path', 'deploy/../../x'], 1, /^Invalid path 'deploy\/\.\.\/\.\.\/x': '\.\.' may not appear in it$/),
  argv('ps property dokku does not have', ['ps:set', 'web', 'max-size', '1m'], 1, /^Unknown ps property 'max-size': use one of restart-policy, stop-timeout-seconds, procfile-path$/),
  argv('ps:set without a property', ['ps:set', 'web'], 2, /^Missing property: one of procfile-path, restart-policy, stop-timeout-seconds$/),
  argv('ps:stop with an app and --all', ['ps:stop', 'web', '--all'], 2, /^Give an app or --all, not both$/),
  argv('ps:restart --parallel without --all', ['ps:restart', 'web', '--parallel', '2'], 2, /^--parallel goes with --all$/),
  argv('ps:restart --parallel of zero', ['ps:restart', '--all', '--parallel', '0'], 1, /^--parallel must be between 1 and 16, got 0$/),
  argv('log max-size without a unit', ['logs:set', 'web', 'max-size', '10'], 1, /^Invalid max-size '10': use unlimited or a number with a unit \(k, m, g\), e\.g\. 10m$/),
  argv('log max-size with an option in it', ['logs:set', '--global', 'max-size', '10m,max-file=3'], 1, /^Invalid max-size '10m,max-file=3'/),
  argv('logs:failed with nothing failed', ['logs:failed', 'web'], 1, /^No failed deploy for web$/),
  argv('docker option dokku does not know', ['docker-options:add', 'web', 'deploy', '--frobnicate'], 1, /^Unsupported docker option --frobnicate \(see docker-options:add --help/),
  argv('docker option dokku does another way', ['docker-options:add', 'web', 'deploy', '-p 8080:80'], 1, /^Unsupported docker option -p: ports are published through nginx: use ports:add$/),
  argv('docker option without its value', ['docker-options:add', 'web', 'deploy', '--memory'], 1, /^Docker option --memory needs a value$/),
  argv('docker option with a bad size', ['docker-options:add', 'web', 'deploy', '--memory=1e30'], 1, /^Invalid value for docker option --memory: '1e30' \(expected a size/),
  argv('docker option that is a command', ['docker-options:add', 'web', 'deploy', 'sh -c id'], 1, /is not a flag/),
  argv('docker option with a control character', ['docker-options:add', 'web', 'deploy', '-e A=\x01b'], 1, /^Invalid docker option '-e A=\\x01b'/),
  argv('docker option too long', ['docker-options:add', 'web', 'deploy', `-e A=${'x'.repeat(5000)}`], 1, /^Docker option is too long \(over 4096 bytes\)$/),
  argv('docker option phase with a space', ['docker-options:add', 'web', 'deploy, run', '-e A=1'], 1, /^Invalid phase ' run'/),
  argv('docker option phase unknown', ['docker-options:add', 'web', 'release', '-e A=1'], 1, /^Invalid phase 'release': use build, deploy or run/),
  argv('build arg on the deploy phase', ['docker-options:add', 'web', 'deploy', '--build-arg A=1'], 1, /^Docker option --build-arg does not apply to the deploy phase/),
  argv('storage mount with a relative host path', ['storage:mount', 'web', 'data:/app/storage'], 1, /^The host path 'data' is not absolute: start it with \/$/),
  argv('storage mount with ..', ['storage:mount', 'web', '/var/lib/dokku/data/storage/../../etc:/app/x'], 1, /^The host path .* has '\.\.', '\.' or '\/\/' in it$/),
  argv('storage mount onto /app', ['storage:mount', 'web', '/tmp:/app'], 1, /^Mounting onto \/app would hide the app itself/),
  argv('storage mount onto /', ['storage:mount', 'web', '/tmp:/'], 1, /^Mounting onto \/ would hide the app itself/),
  argv('storage mount of a missing host dir', ['storage:mount', 'web', '/nonexistent-dokku-dir:/app/storage'], 1, /^Host path \/nonexistent-dokku-dir does not exist/),
  argv('storage mount with a bad option', ['storage:mount', 'web', '/tmp:/app/storage:rwx'], 1, /^Invalid mount option 'rwx'/),
  argv('storage mount of no entry', ['storage:mount', 'web', 'nothing-here', '--container-dir', '/data'], 1, /^Storage entry nothing-here does not exist/),
  argv('storage entry without a container dir', ['storage:mount', 'web', 'nothing-here'], 2, /^A named entry needs --container-dir \/path$/),
  argv('storage entry name with a slash', ['storage:create', 'a/b'], 1, /^Invalid storage name 'a\/b'/),
  argv('storage entry name ..', ['storage:ensure-directory', '..'], 1, /^Invalid storage name '\.\.'/),
  argv('storage chown unknown', ['storage:ensure-directory', 'x', '--chown', 'nobody'], 1, /^Invalid --chown 'nobody'/),
  argv('storage unmount of nothing', ['storage:unmount', 'web', '/tmp:/app/storage'], 1, /^Nothing like that is mounted in web/),
  argv('memory limit below zero', ['resource:limit', '--memory=-1', 'web'], 1, /^Invalid memory '-1': use megabytes/),
  argv('memory limit 1e30', ['resource:limit', '--memory', '1e30', 'web'], 1, /^Invalid memory '1e\+?30'/),
  argv('memory limit too small for Docker', ['resource:limit', '--memory', '1k', 'web'], 1, /^Invalid memory '1k'.*from 6m/),
  argv('cpu limit not a number', ['resource:limit', '--cpu', 'abc', 'web'], 1, /^Invalid cpu 'abc': use a number of CPUs above 0/),
  argv('pids limit zero', ['resource:reserve', '--pids', '0', 'web'], 1, /^Invalid pids '0'/),
  argv('swap below memory', ['resource:limit', '--memory', '512', '--memory-swap', '256', 'web', '--no-restart'], 1, /^memory-swap must be at least memory/),
  argv('resource process type invalid', ['resource:limit', '--process-type', 'a.b', '--memory', '256', 'web'], 1, /^Invalid process type 'a\.b'/),
  argv('network name with a slash', ['network:create', 'a/b'], 1, /^Invalid network name 'a\/b'/),
  argv('network name host', ['network:create', 'host'], 1, /^Network name host is reserved/),
  argv('network name of an app network', ['network:create', 'dokku.app.web'], 1, /^Network name dokku\.app\.web is reserved/),
  argv('network property unknown', ['network:set', 'web', 'mtu', '1500'], 1, /^Unknown network property 'mtu'/),
  argv('attach to Docker host network', ['network:set', 'web', 'attach-post-create', 'host'], 1, /^Network host does not exist: an admin makes it with network:create$/),
  argv('attach to an unknown network', ['network:set', 'web', 'initial-network', 'nowhere'], 1, /^Network nowhere does not exist/),
  argv('bind-all-interfaces not a boolean', ['network:set', 'web', 'bind-all-interfaces', 'yes'], 1, /^bind-all-interfaces is 'true' or 'false'$/),
  argv('network tld invalid', ['network:set', 'web', 'tld', 'Bad_TLD'], 1, /^Invalid tld 'Bad_TLD'/),
  argv('static web listener', ['network:set', 'web', 'static-web-listener', '10.0.0.1:80'], 1, /^static-web-listener is not supported yet/),
  argv('network destroy unknown', ['network:destroy', 'nowhere'], 1, /^Network nowhere does not exist/),
  argv('cron:list of no app', ['cron:list', 'ghost'], 1, /^App ghost does not exist/),
  argv('cron:resume with a bad id', ['cron:resume', 'web', 'XYZ'], 1, /^Invalid cron id 'XYZ'/),
  argv('cron:report in a format it lacks', ['cron:report', 'web', '--format', 'xml'], 2, /format/i),
  argv('docker-options:report of no app', ['docker-options:report', 'ghost'], 1, /^App ghost does not exist/),
  argv('docker-options:clear of a bad phase', ['docker-options:clear', 'web', 'deploy,later'], 1, /^Invalid phase 'later'/),
  argv('resource:limit-clear with a bad process type', ['resource:limit-clear', '--process-type', 'a.b', 'web'], 1, /^Invalid process type 'a\.b'/),
  argv('resource:reserve-clear of no app', ['resource:reserve-clear', 'ghost'], 1, /^App ghost does not exist/),
  argv('resource:report in a format it lacks', ['resource:report', 'web', '--format', 'xml'], 2, /format/i),
  argv('storage:info of no entry', ['storage:info', 'nothing-here'], 1, /^Storage entry nothing-here does not exist/),
  argv('storage:destroy of no entry', ['storage:destroy', 'nothing-here'], 1, /^Storage entry nothing-here does not exist/),
  argv('storage:list of no app', ['storage:list', 'ghost'], 1, /^App ghost does not exist/),
  argv('storage:list-entries in a format it lacks', ['storage:list-entries', '--format', 'xml'], 2, /format/i),
  argv('storage:report of no app', ['storage:report', 'ghost'], 1, /^App ghost does not exist/),
  argv('network:exists of no network', ['network:exists', 'nowhere'], 1, /^Network nowhere does not exist$/),
  argv('network:info of no network', ['network:info', 'nowhere'], 1, /^Network nowhere does not exist/),
  argv('network:rebuild of no network', ['network:rebuild', 'nowhere'], 1, /^Network nowhere does not exist/),
  argv('network:list in a format it lacks', ['network:list', '--format', 'xml'], 2, /format/i),
  argv('network:rebuildall with a word it does not take', ['network:rebuildall', 'extra'], 2, /Unused args/),
  argv('network:report of no app', ['network:report', 'ghost'], 1, /^App ghost does not exist/),
  argv('cron id that is not one', ['cron:run', 'web', '../x'], 1, /^Invalid cron id '\.\.\/x': 12 hex characters, as cron:list shows$/),
  argv('cron id of no task', ['cron:suspend', 'web', '0123456789ab'], 1, /^No cron task 0123456789ab for web \(see cron:list web\)$/),
  argv('cron maintenance not a boolean', ['cron:set', 'web', 'maintenance', 'sometimes'], 1, /^Invalid value for cron maintenance: 'sometimes' \(expected true or false\)$/),
  argv('cron mailto with a space', ['cron:set', 'web', 'mailto', 'a b@example.com'], 1, /^Invalid value for cron mailto/),
  argv('docker option removed that is not set', ['docker-options:remove', 'web', 'deploy', '-e A=1'], 1, /^Docker option '-e A=1' is not set for deploy$/),
  argv('run --env with a bad key', ['run', '--env', '1A=1', 'web', 'true'], 1, INVALID_KEY),
  argv('run --env without =', ['run', '-e', 'A', 'web', 'true'], 1, /^Expected KEY=VALUE, got 'A'$/),
  argv('run:logs of another app\'s container', ['run:logs', 'web', 'other.run.1a2b3c'], 1, /^Invalid container 'other\.run\.1a2b3c': use a name run:list shows for web/),
  argv('run:logs of a path', ['run:logs', 'web', '../../etc'], 1, /^Invalid container '\.\.\/\.\.\/etc'/),
  argv('run:stop without a container or --all', ['run:stop', 'web'], 2, /^Give a container name or --all$/),
  argv('run:list of an unknown format', ['run:list', 'web', '--format', 'yaml'], 2, /^Unknown format 'yaml'/),
  argv('checks wait beyond its range', ['checks:set', 'web', 'wait', '601'], 1, /^Invalid value for checks wait: '601' \(expected a whole number from 0 to 600\)$/),
  // nginx:set values are single validated tokens: none can end a directive or name a path outside the source.
  argv('nginx property value adding a directive', ['nginx:set', 'web', 'proxy-buffers', '8 4k; include /etc/passwd'], 1, /^Invalid value for nginx proxy-buffers: '8 4k; include \/etc\/passwd' \(expected a number and a size, such as 8 4k\)$/),
  argv('nginx log format that is not a name', ['nginx:set', 'web', 'access-log-format', "'$remote_addr' }"], 1, /^Invalid value for nginx access-log-format: .* \(expected the name of a log_format/),
  argv('nginx forwarded header that is no variable', ['nginx:set', 'web', 'x-forwarded-for-value', '1.2.3.4'], 1, /^Invalid value for nginx x-forwarded-for-value: '1\.2\.3\.4' \(expected one nginx variable/),
  argv('nginx bind address that is no address', ['nginx:set', 'web', 'bind-address-ipv4', '999.1.1.1'], 1, /^Invalid value for nginx bind-address-ipv4: '999\.1\.1\.1' \(expected an IPv4 address/),
  argv('nginx template path leaving the source', ['nginx:set', 'web', 'nginx-conf-sigil-path', '../other/nginx.conf.sigil'], 1, /^Invalid path '\.\.\/other\/nginx\.conf\.sigil': '\.\.' may not appear in it$/),
  argv('nginx template path that is absolute', ['nginx:set', 'web', 'nginx-conf-sigil-path', '/etc/nginx/nginx.conf'], 1, /^Invalid path '\/etc\/nginx\/nginx\.conf': give a path inside the repository, not an absolute path$/),
  argv('nginx log path with ..', ['nginx:set', 'web', 'access-log-path', '/var/log/nginx/../../../etc/cron.d/x'], 1, /^Invalid value for nginx access-log-path: .* \(expected off or an absolute path without \.\.\)$/),
  argv('nginx time with a unit nginx lacks', ['nginx:set', 'web', 'keepalive-timeout', '5 minutes'], 1, /^Invalid value for nginx keepalive-timeout: /),
  argv('unknown nginx property', ['nginx:set', 'web', 'nginx-service-command', '/bin/sh'], 1, /^Unknown nginx property 'nginx-service-command': use one of access-log-format, /),
  argv('nginx:start with an argument', ['nginx:start', 'web'], 2, /^Unused args: `web`$/),
  ssh('ssh: nginx log path with a space', 'nginx:set web error-log-path "/tmp/a b"', 1, /^Invalid value for nginx error-log-path: /),
  argv('checks:run process type with a semicolon', ['checks:run', 'web', 'we;b'], 1, /^Invalid process type 'we;b' \(letters, digits/),
  argv('checks:run container number 0', ['checks:run', 'web', 'web.0'], 1, /^Invalid process index in 'web\.0': containers are numbered from 1$/),
  argv('checks:run type.N.M', ['checks:run', 'web', 'web.1.2'], 1, /^Invalid process type 'web\.1\.2': use a process type or type\.N/),
  argv('proxy:set another Dokku proxy type', ['proxy:set', 'web', 'caddy'], 1, /^Proxy type 'caddy' refused: caddy is a Dokku proxy type not built in here; the only proxy type is nginx$/),
  argv('proxy:set an unknown word', ['proxy:set', 'web', 'x;rm'], 1, /^Proxy type 'x;rm' refused: unknown proxy type; the only proxy type is nginx$/),
  argv('proxy:set with an app and --global', ['proxy:set', '--global', 'web', 'nginx'], 2, /^Give an app or --global, not both$/),
  argv('proxy:set with words after the type', ['proxy:set', 'web', 'type', 'nginx', 'extra'], 2, /^Unexpected words after the proxy type: extra$/),
  argv('proxy:clear-config with an app and --all', ['proxy:clear-config', 'web', '--all'], 2, /^Give an app or --all, not both$/),
  argv('backup:import of no file', ['backup:import', '/nonexistent-dokku-backup.tar.gz'], 1, /^\/nonexistent-dokku-backup\.tar\.gz is not a file$/),
  argv('backup:import of a directory', ['backup:import', '/tmp'], 1, /^\/tmp is not a file$/),
  argv('backup:import onto a platform that is not empty', ['backup:import', '/etc/passwd'], 1, /^The platform is not empty \(2 apps, 0 services, 4 events\): import onto a fresh DOKKU_ROOT, or pass --force to replace it$/),
  argv('backup:export into no directory', ['backup:export', '/nonexistent-dokku-dir/platform.tar.gz'], 1, /^Cannot write \/nonexistent-dokku-dir\/platform\.tar\.gz: \/nonexistent-dokku-dir is not a directory$/),
  argv('backup:export over a directory', ['backup:export', '/tmp'], 1, /^Cannot write \/tmp: it is a directory$/),
  argv('backup:export over a file', ['backup:export', '/etc/passwd'], 1, /^\/etc\/passwd already exists: give another file, or pass --force to replace it$/),
  argv('domains:disable of a path', ['domains:disable', '../web'], 1, INVALID_NAME),
  argv('domains:reset of a path', ['domains:reset', '../web'], 1, INVALID_NAME),

  // Services: names as app names, every flag checked before anything is made.
  // Schedulers, the registry and the swarm: words checked before the engine is asked anything.
  argv('scheduler that does not exist', ['scheduler:set', 'web', 'selected', 'k3s'], 1, /^Unknown scheduler 'k3s': use one of docker-local, swarm$/),
  argv('scheduler property that does not exist', ['scheduler:set', 'web', 'color', 'red'], 1, /^Unknown scheduler property 'color': use one of selected$/),
  argv('scheduler of a path', ['scheduler:set', '../web', 'selected', 'swarm'], 1, INVALID_NAME),
  argv('registry server with a space', ['registry:set', '--global', 'server', 'bad host'], 1, /^Invalid value for registry server: 'bad host' \(expected a registry as HOST:PORT\)$/),
  argv('registry server with a port out of range', ['registry:set', '--global', 'server', 'reg.example:70000'], 1, /expected a registry as HOST:PORT/),
  argv('registry set for one app', ['registry:set', 'web', 'server', 'reg.example:5000'], 2, /^The registry is set for every app: registry:set --global server HOST:PORT$/),
  argv('registry property that does not exist', ['registry:set', '--global', 'image-repo', 'x'], 2, /^Unknown registry property 'image-repo': use server$/),
  argv('registry login to a URL', ['registry:login', 'https://reg.example', 'me', 'pw'], 1, /^Invalid registry 'https:\/\/reg\.example': a registry as HOST:PORT$/),
  argv('registry login without a password', ['registry:login', 'reg.example:5000', 'me'], 2, /^Missing password \(or pass --password-stdin\)$/),
  argv('registry logout of a registry never logged in', ['registry:logout', 'reg.example:5000'], 1, /^Not logged in to reg\.example:5000$/),
  argv('swarm init without an address', ['swarm:init'], 2, /^Missing --advertise-addr/),
  argv('swarm init on a hostname', ['swarm:init', '--advertise-addr', 'manager.example'], 1, /^Invalid --advertise-addr 'manager\.example': an IPv4 address/),
  argv('swarm init with a registry port out of range', ['swarm:init', '--advertise-addr', '10.0.0.1', '--registry-port', '99999'], 2, /^Invalid --registry-port '99999': a port from 1 to 65535$/),
  argv('swarm join token for a role that does not exist', ['swarm:join-token', 'admin'], 2, /^Invalid role 'admin': worker or manager$/),
  argv('swarm watch with an interval too short', ['swarm:watch', '--interval', '0'], 2, /^Invalid --interval '0': seconds from 0\.2 to 60$/),
  // Plugins.
  argv('plugin source that does not exist', ['plugin:install', '/nonexistent/plugin'], 1, /^Plugin source \/nonexistent\/plugin does not exist$/),
  argv('plugin source with a file:// URL', ['plugin:install', 'file:///etc'], 1, /^Invalid repository 'file:\/\/\/etc'/),
  argv('plugin name uppercase', ['plugin:install', '/tmp', '--name', 'Bad'], 1, /^Invalid plugin name 'Bad': lowercase letters, digits and dashes, at most 48$/),
  argv('plugin under a built-in name', ['plugin:install', '/tmp', '--name', 'config'], 1, /^config is built into dokku/),
  argv('enable a plugin that is not installed', ['plugin:enable', 'nope'], 1, /^Plugin nope is not installed$/),
  argv('update a plugin that is not installed', ['plugin:update', 'nope'], 1, /^Plugin nope is not installed$/),
  argv('uninstall a plugin that is not installed', ['plugin:uninstall', 'nope'], 1, /^Plugin nope is not installed$/),
  argv('property of a plugin that is not installed', ['plugin:property-set', 'nope', 'web', 'k', 'v'], 1, /^Plugin nope is not installed$/),
  argv('property without a value', ['plugin:property-set', 'nope', '--global', 'k'], 2, /^Missing key or value$/),
  argv('trigger name with a slash', ['plugin:trigger', '../x'], 2, /^Invalid trigger name '\.\.\/x'$/),
  argv('plugin:list in an unknown format', ['plugin:list', '--format', 'yaml'], 2, /^Unknown format 'yaml'/),
  argv('service name uppercase', ['postgres:create', 'DB'], 1, /^Invalid service name 'DB': use lowercase letters, digits and dashes/),
  argv('service name with an underscore', ['redis:create', 'my_cache'], 1, /^Invalid service name 'my_cache'/),
  argv('service name too long', ['postgres:create', 'd'.repeat(64)], 1, /^Service name is too long \(64 characters, at most 63\)$/),
  argv('service password too short', ['postgres:create', 'db', '--password', 'short'], 1, /^A service password must be 8 to 128 letters, digits or \. _ ~ -$/),
  argv('service password with a URL character', ['postgres:create', 'db', '--password', 'pass@word1'], 1, /^A service password must be 8 to 128/),
  argv('service image version with a slash', ['postgres:create', 'db', '--image-version', '../16'], 1, /^Invalid image version '\.\.\/16'$/),
  argv('service image with a tag', ['postgres:create', 'db', '--image', 'postgres:16'], 1, /^Invalid image name 'postgres:16' \(give the tag with --image-version\)$/),
  argv('service memory not a size', ['redis:create', 'cache', '--memory', 'lots'], 1, /^--memory: /),
  argv('link of a missing service', ['postgres:link', 'nodb', 'web'], 1, /^Postgres service nodb does not exist \(see postgres:list\)$/),
  argv('link to an app name that is a path', ['postgres:link', 'nodb', '../web'], 1, INVALID_NAME),
  argv('unlink of a missing service', ['redis:unlink', 'nocache', 'web'], 1, /^Redis service nocache does not exist/),
  argv('import into a missing service', ['postgres:import', 'nodb'], 1, /^Postgres service nodb does not exist/),
  argv('export of a missing service', ['redis:export', 'nocache'], 1, /^Redis service nocache does not exist/),
  argv('destroy of a service name with a space', ['postgres:destroy', 'a b'], 1, /^Invalid service name 'a b'/),
  argv('clone to a bad name', ['postgres:clone', 'nodb', 'New'], 1, /^Invalid service name 'New'/),
  argv('backup schedule that is not cron', ['postgres:backup-schedule', 'nodb', 'every night'], 1, /^Invalid backup schedule 'every night': a schedule has five fields/),
  argv('backup keep of zero', ['postgres:backup-schedule', 'nodb', '0 3 * * *', '--keep', '0'], 1, /^--keep must be between 1 and 1000/),
  argv('service logs count not a number', ['redis:logs', 'nocache', 'many'], 1, /^NUM must be a whole number, got 'many'/),
  argv('expose on a port past 65535', ['postgres:expose', 'nodb', '70000'], 1, /^PORT must be between 1 and 65535/),
  argv('service list in yaml', ['postgres:list', '--format', 'yaml'], 2, /^Unknown format 'yaml'/),
  argv('acl for an unknown service type', ['acl:add-service', 'mongo', 'db', 'bob'], 1, /^Unknown service type 'mongo' \(postgres, redis, mariadb\)$/),
  argv('acl for a missing service', ['acl:add-service', 'postgres', 'nodb', 'bob'], 1, /^Postgres service nodb does not exist/),

  // SSH command strings: split by the tokenizer, never by a shell.
  // `;`, `&`, `|`, `<`, `>`, `$`, `(`, `)`, backticks and `#` are plain characters: the words reach
  // the command, whose own validation refuses them, and nothing runs.
  ssh('ssh: ; in an app name', "apps:create 'x;rm'", 1, INVALID_NAME),
  ssh('ssh: ; ends a word', 'apps:create x; apps:create y', 2, /^Unused args: `apps:create`, `y`$/),
  ssh('ssh: && is a word', 'apps:create x && apps:create y', 2, /^Unused args: `&&`, `apps:create`, `y`$/),
  ssh('ssh: || is a word', 'apps:create x || apps:create y', 2, /^Unused args: `\|\|`, `apps:create`, `y`$/),
  ssh('ssh: | is a word', 'apps:list | cat', 2, /^Unused args: `\|`, `cat`$/),
  ssh('ssh: & is a word', 'apps:create x &', 2, /^Unused args: `&`$/),
  ssh('ssh: $(…) as an app name', 'apps:create $(id)', 1, /^Invalid app name '\$\(id\)'/),
  ssh('ssh: $(…) inside double quotes as an app name', 'apps:create "$(id)"', 1, /^Invalid app name '\$\(id\)'/),
  ssh('ssh: backticks as an app name', 'apps:create `id`', 1, /^Invalid app name '`id`'/),
  ssh('ssh: ${} in a config key', 'config:set web ${HOME}=x', 1, /^Invalid config key '\$\{HOME\}'/),
  ssh('ssh: output redirection is a word', 'apps:list > /tmp/dokku-never', 2, /^Unused args: `>`, `\/tmp\/dokku-never`$/),
  ssh('ssh: input redirection is a word', 'apps:list < /etc/passwd', 2, /^Unused args: `<`, `\/etc\/passwd`$/),
  ssh('ssh: # is a word', 'apps:list # comment', 2, /^Unused args: `#`, `comment`$/),
  ssh('ssh: a subshell is a word', '(apps:create x)', 1, /^`\(apps:create` is not a dokku command/),
  // What would make more than one line of words, or is no text at all, is refused before any command.
  ssh('ssh: newline', 'apps:list\napps:create y', 1, REFUSED),
  ssh('ssh: carriage return', 'apps:create x\r', 1, REFUSED),
  ssh('ssh: line continuation', 'apps:create \\\nx', 1, REFUSED),
  ssh('ssh: unbalanced single quote', "apps:create 'x", 1, REFUSED),
  ssh('ssh: unbalanced double quote', 'apps:create "x', 1, REFUSED),
  ssh('ssh: trailing backslash', 'apps:create x\\', 1, REFUSED),
  ssh('ssh: unquoted escape character', 'config:set web K=\x1b[2J', 1, REFUSED),
  ssh('ssh: DEL', 'apps:create x\x7f', 1, REFUSED),
  ssh('ssh: quoted words reaching validation', "apps:create 'Bad Name'", 1, INVALID_NAME),
  ssh('ssh: quoted K without =', "config:set web 'K'", 1, /^Expected KEY=VALUE, got 'K'$/),
  ssh('ssh: unknown command', 'rm -rf /', 1, /^`rm` is not a dokku command/),
  ssh('ssh: missing argument', 'apps:rename web', 2, /^missing required args/),
];

function expectRefused(r: RunResult, c: Case): void {
  expect(r.code, `${c.name}: exit code\n${r.stderr}`).toBe(c.code);
  expect(r.stderr, c.name).not.toMatch(STACK_TRACE);
  expect(r.stdout, `${c.name}: stdout`).toBe('');
  const { errors, others } = errorLines(r.stderr);
  expect(errors, `${c.name}: one error line`).toHaveLength(1);
  expect(errors[0]!.slice(7), c.name).toMatch(c.message);
  // A usage error may add its usage line, and nothing else.
  expect(others.every((l) => l.startsWith('Usage: dokku ')), `${c.name}: ${others.join(' | ')}`).toBe(true);
  if (c.code === 1) expect(others, c.name).toEqual([]);
}

it('the table holds at least 50 cases, each named once', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(50);
  expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
});

describe.each(TARGETS)('bad input ($name)', (target: Target) => {
  let dokku: Cli;

  beforeAll(() => {
    dokku = bindCli(target, makeRoot(`dokku-bad-${target.name}-`));
    dokku.ok('apps:create', 'web');
    dokku.ok('apps:create', 'other');
    dokku.ok('config:set', 'web', 'EXISTING=1');
    dokku.ok('config:set', '--global', 'G=1');
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const before = fingerprint(dokku.root);
    const r = c.ssh !== undefined ? dokku.with({ env: { SSH_ORIGINAL_COMMAND: c.ssh } }) : dokku(...c.argv!);
    expectRefused(r, c);
    expect(fingerprint(dokku.root), `${c.name}: the database changed`).toEqual(before);
  });

  it('the log is whole after all of it', () => {
    expect(dokku.ok('events:verify')).toMatch(/^-----> Event log verified: 4 events, hash chain intact; head 4 [0-9a-f]{64}\n$/);
  });

  it('a database written by a newer version is refused for every command, and left alone', () => {
    const newer = bindCli(target, makeRoot(`dokku-newer-${target.name}-`));
    newer.ok('apps:create', 'web');
    withDb(newer.root, (db) => db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future.sql', 'x')").run());
    const before = fingerprint(newer.root);
    for (const words of [['apps:list'], ['config:set', 'web', 'A=1'], ['state:rebuild']]) {
      expectRefused(newer(...words), {
        name: `newer schema: ${words[0]}`,
        code: 1,
        message: /^This database was written by a newer dokku \(schema version 9999; this dokku knows up to \d+\)\. Upgrade dokku to use it\.$/,
      });
    }
    expect(fingerprint(newer.root)).toEqual(before);
  });
});
