#!/usr/bin/env bash
# Copy the front-end libraries installed by npm into the app's static folder,
# so the app serves every script, stylesheet and font itself (no CDN).
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/kehu/static/vendor
rm -rf "$out"
mkdir -p "$out/bootstrap" "$out/bootstrap-icons/fonts" "$out/htmx" "$out/echarts"
cp node_modules/bootstrap/dist/css/bootstrap.min.css "$out/bootstrap/"
cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js "$out/bootstrap/"
cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css "$out/bootstrap-icons/"
cp node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff* "$out/bootstrap-icons/fonts/"
cp node_modules/htmx.org/dist/htmx.min.js "$out/htmx/"
cp node_modules/echarts/dist/echarts.min.js "$out/echarts/"
