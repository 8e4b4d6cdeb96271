#!/usr/bin/env python3
"""Writes a realistic nginx error.log of about SIZE megabytes (default 100):
connection refusals and read timeouts among warnings, info lines and 404
noise, deterministic. usage: gen-error-log.py OUT [SIZE_MB]"""
import random
import sys

LINES = [
    '2026/11/23 10:{m:02}:{s:02} [error] 811#811: *{i} connect() failed (111: Connection refused) while connecting to upstream, client: 198.51.100.{c}, server: shop.example.com, request: "GET /api/cart/{i} HTTP/1.1", upstream: "http://10.0.3.7:8080/api/cart/{i}", host: "shop.example.com"\n',
    '2026/11/23 10:{m:02}:{s:02} [warn] 811#811: *{i} an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/1/00/0000000001 while reading upstream, client: 198.51.100.1, server: shop.example.com, request: "GET /big HTTP/1.1", upstream: "http://10.0.3.7:8080/big", host: "shop.example.com"\n',
    '2026/11/23 10:{m:02}:{s:02} [info] 811#811: *{i} client closed connection while waiting for request, client: 198.51.100.3, server: 0.0.0.0:443\n',
    '2026/11/23 10:{m:02}:{s:02} [error] 811#811: *{i} upstream timed out (110: Connection timed out) while reading response header from upstream, client: 203.0.113.9, server: shop.example.com, request: "GET /reports/daily HTTP/1.1", upstream: "http://10.0.3.9:9000/reports/daily", host: "shop.example.com"\n',
    '2026/11/23 10:{m:02}:{s:02} [error] 811#811: *{i} open() "/srv/www/favicon.ico" failed (2: No such file or directory), client: 198.51.100.{c}, server: shop.example.com, request: "GET /favicon.ico HTTP/1.1", host: "shop.example.com"\n',
]

out, size = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100
random.seed(1)
written, i = 0, 0
with open(out, "w") as f:
    while written < size * 1024 * 1024:
        line = random.choice(LINES).format(m=(i // 60) % 60, s=i % 60, i=i, c=i % 250)
        f.write(line)
        written += len(line)
        i += 1
