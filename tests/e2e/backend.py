#!/usr/bin/env python3
"""A tiny backend for the end-to-end tests, on 127.0.0.1 only.

usage: backend.py MODE PORT|SOCKET_PATH [CERT KEY]
  http  answers every request with 200 "ok"
  slow  answers after 5 seconds (for read timeouts)
  tls   like http, over TLS with the given certificate
  tlssni  like tls, but refuses a handshake without SNI (unrecognized_name),
        as shared TLS front ends do
  bigheaders  answers with 6 KB of Set-Cookie headers
  hugeheader  answers with one 12 KB Set-Cookie line
  closereused  answers the first request on a connection and keeps it open,
        then closes the connection when a second request arrives on it: a
        backend whose idle timeout ran out just as the proxy reused it
  fcgi  a FastCGI responder (like php-fpm) answering 200 "ok"; bytes that
        are not a FastCGI record close the connection, as php-fpm does
  fcgislow  like fcgi, after 5 seconds
A path instead of a port listens on a unix socket (mode 0666), for the
FastCGI modes. (`none` in a test means no backend is started there.)
Prints "ready" once listening; the test kills it when done.
"""
import http.server
import os
import socket
import socketserver
import ssl
import struct
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_one_request(self):
        # Like real HTTP servers, reject bytes that cannot start a request at
        # once (a FastCGI or TLS record) instead of waiting for a line end.
        if not MODE.startswith("tls"):
            first = self.connection.recv(1, socket.MSG_PEEK)
            if first and not first.isalpha():
                self.wfile.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                self.close_connection = True
                return
        super().handle_one_request()

    def do_GET(self):
        if MODE == "closereused":
            self.served = getattr(self, "served", 0) + 1
            if self.served > 1:
                self.close_connection = True
                self.connection.close()
                return
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

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.do_GET()

    def log_message(self, *args):
        pass


FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT = 1, 3, 4, 5, 6
FCGI_GET_VALUES, FCGI_GET_VALUES_RESULT = 9, 10


def fcgi_record(kind, request_id, content):
    header = struct.pack(">BBHHBB", 1, kind, request_id, len(content), 0, 0)
    return header + content


def read_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class FastCgiHandler(socketserver.BaseRequestHandler):
    """One FastCGI connection: answers each request once its stdin ends."""

    def handle(self):
        conn = self.request
        while True:
            header = read_exactly(conn, 8)
            if header is None:
                return
            version, kind, request_id, length, padding, _ = struct.unpack(">BBHHBB", header)
            if version != 1:
                # php-fpm closes a connection that does not speak FastCGI
                # with the rest of the request unread: the peer sees a reset.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
                return
            content = read_exactly(conn, length + padding)
            if content is None:
                return
            if kind == FCGI_GET_VALUES:
                conn.sendall(fcgi_record(FCGI_GET_VALUES_RESULT, 0, b""))
            elif kind == FCGI_STDIN and length == 0:
                if MODE == "fcgislow":
                    time.sleep(5)
                body = b"Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nok\n"
                conn.sendall(
                    fcgi_record(FCGI_STDOUT, request_id, body)
                    + fcgi_record(FCGI_STDOUT, request_id, b"")
                    + fcgi_record(FCGI_END_REQUEST, request_id, bytes(8))
                )
                return


class FastCgiServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class FastCgiUnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


MODE = sys.argv[1]
if MODE.startswith("fcgi"):
    if sys.argv[2].startswith("/"):
        fcgi = FastCgiUnixServer(sys.argv[2], FastCgiHandler)
        # The web server's workers run as another user.
        os.chmod(sys.argv[2], 0o666)
    else:
        fcgi = FastCgiServer(("127.0.0.1", int(sys.argv[2])), FastCgiHandler)
    print("ready", flush=True)
    fcgi.serve_forever()
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler)
server.daemon_threads = True
if MODE in ("tls", "tlssni"):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    if MODE == "tlssni":
        context.sni_callback = lambda sock, name, ctx: (
            ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME if name is None else None
        )
    server.socket = context.wrap_socket(server.socket, server_side=True)
print("ready", flush=True)
server.serve_forever()
