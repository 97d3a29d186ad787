#!/usr/bin/env bash
# Copy the front-end libraries installed by npm into the app's static folder,
# so the app serves every script, stylesheet and font itself (no CDN).
#
# A file that names a source map (`sourceMappingURL=...`) is copied with its map:
# `kehu collectstatic` in production (whitenoise's manifest storage) refuses a file
# whose map is missing, and production then has no manifest and answers 500 on every
# page. The maps are copied rather than the comments stripped so that every vendored
# file stays byte for byte what npm installed (checkable against package-lock.json);
# browsers fetch a map only when someone opens the developer tools.
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/kehu/static/vendor

vendor() {  # vendor FILE DESTINATION-FOLDER
  local file=$1 dest=$2 map
  cp "$file" "$dest/"
  map=$(grep -oE 'sourceMappingURL=[^[:space:]*]+' "$file" | tail -n 1 | cut -d= -f2- || true)
  case "$map" in
    "" | data:*) ;;  # no map, or one inlined in the file
    *)
      mkdir -p "$dest/$(dirname "$map")"
      cp "$(dirname "$file")/$map" "$dest/$map"
      ;;
  esac
}

rm -rf "$out"
mkdir -p "$out/bootstrap" "$out/bootstrap-icons/fonts" "$out/htmx" "$out/echarts" "$out/sortablejs"
vendor node_modules/bootstrap/dist/css/bootstrap.min.css "$out/bootstrap"
vendor node_modules/bootstrap/dist/js/bootstrap.bundle.min.js "$out/bootstrap"
vendor node_modules/bootstrap-icons/font/bootstrap-icons.min.css "$out/bootstrap-icons"
cp node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff* "$out/bootstrap-icons/fonts/"
vendor node_modules/htmx.org/dist/htmx.min.js "$out/htmx"
vendor node_modules/echarts/dist/echarts.min.js "$out/echarts"
vendor node_modules/sortablejs/Sortable.min.js "$out/sortablejs"
