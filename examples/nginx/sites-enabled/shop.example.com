server {
    listen 80;
    server_name shop.example.com;
    return 301 https://$host$request_uri;
}

server {
    listen 443 ssl;
    http2 on;
    server_name shop.example.com;

    ssl_certificate     /etc/ssl/certs/shop.example.com.pem;
    ssl_certificate_key /etc/ssl/private/shop.example.com.key;

    root /srv/shop/public;

    location / {
        try_files $uri $uri/ /index.html;
    }

    location /api/ {
        include snippets/proxy.conf;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_read_timeout 3s;
        proxy_pass http://$api_pool;
    }

    location /ws/ {
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
        proxy_pass http://127.0.0.1:3000;
    }

    location /inventory.Inventory/ {
        grpc_pass grpc://grpc_inventory;
    }

    location ~ ^/admin/.+\.php$ {
        fastcgi_split_path_info ^(.+\.php)(/.+)$;
        fastcgi_pass unix:/run/php/php8.2-fpm.sock;
        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
        fastcgi_read_timeout 60s;
    }

    location = /healthz {
        access_log off;
        return 200 "ok\n";
    }
}
