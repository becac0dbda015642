"""A static file server for the static buildpack: Python's standard library only.

Serves the directory given as the first argument on $PORT (default 5000). Names starting with a dot
(.profile.d, .heroku, ...) are never served. Pages ending in .shtml may show the app's config with
server-side includes, as Apache's mod_include does: <!--#echo var="NAME" --> becomes the
HTML-escaped value of the environment variable NAME, or "(none)".
"""
import html
import os
import re
import sys
from functools import partial
from io import BytesIO
from urllib.parse import unquote
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

ECHO = re.compile(rb'<!--#echo\s+var="([A-Za-z_][A-Za-z0-9_]*)"\s*-->')


class Handler(SimpleHTTPRequestHandler):
    index_pages = ("index.html", "index.htm", "index.shtml")
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".shtml": "text/html", ".js": "text/javascript"}

    def send_head(self):
        parts = unquote(self.path.split("?", 1)[0].split("#", 1)[0]).split("/")
        if any(p.startswith(".") and p not in (".", "..", ".well-known") for p in parts):
            self.send_error(404, "File not found")
            return None
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            if not self.path.split("?", 1)[0].endswith("/"):
                return super().send_head()  # redirects to the slash form
            for index in self.index_pages:
                candidate = os.path.join(path, index)
                if os.path.isfile(candidate):
                    path = candidate
                    break
            else:
                self.send_error(404, "File not found")  # no directory listings
                return None
        if path.endswith(".shtml") and os.path.isfile(path):
            return self.send_include(path)
        return super().send_head()

    def send_include(self, path):
        with open(path, "rb") as f:
            body = f.read()
        body = ECHO.sub(lambda m: html.escape(os.environ.get(m.group(1).decode(), "(none)")).encode(), body)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return BytesIO(body)

    def log_message(self, fmt, *args):
        sys.stdout.write("%s - %s\n" % (self.address_string(), fmt % args))
        sys.stdout.flush()


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    port = int(os.environ.get("PORT", "5000"))
    server = ThreadingHTTPServer(("0.0.0.0", port), partial(Handler, directory=root))
    print(f"Serving {root} on port {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
