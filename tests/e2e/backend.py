#!/usr/bin/env python3
"""A tiny backend for the end-to-end tests, on 127.0.0.1 only.

usage: backend.py MODE PORT [CERT KEY]
  http  answers every request with 200 "ok"
  slow  answers after 5 seconds (for read timeouts)
  tls   like http, over TLS with the given certificate
  bigheaders  answers with 6 KB of Set-Cookie headers
  hugeheader  answers with one 12 KB Set-Cookie line
(`none` in a test means no backend is started on that port.)
Prints "ready" once listening; the test kills it when done.
"""
import http.server
import socket
import ssl
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_one_request(self):
        # Like real HTTP servers, reject bytes that cannot start a request at
        # once (a FastCGI or TLS record) instead of waiting for a line end.
        if MODE != "tls":
            first = self.connection.recv(1, socket.MSG_PEEK)
            if first and not first.isalpha():
                self.wfile.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                self.close_connection = True
                return
        super().handle_one_request()

    def do_GET(self):
        if MODE == "slow":
            time.sleep(5)
        body = b"ok\n"
        self.send_response(200)
        if MODE == "hugeheader":
            self.send_header("Set-Cookie", "session=%s; Path=/; HttpOnly" % ("x" * 12000))
        if MODE == "bigheaders":
            for i in range(6):
                self.send_header("Set-Cookie", "session%d=%s; Path=/; HttpOnly" % (i, "x" * 1000))
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


MODE = sys.argv[1]
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler)
server.daemon_threads = True
if MODE == "tls":
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    server.socket = context.wrap_socket(server.socket, server_side=True)
print("ready", flush=True)
server.serve_forever()
