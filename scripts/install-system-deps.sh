#!/usr/bin/env bash
# System packages the project needs beyond Python: a CJK font for posters (Noto Sans CJK) and
# Debian's Chromium for the browser tests, wrk, the load generator of bench/checkin.py, and Node.js
# with npm for the mini-program's tests. PDF posters: Pango for WeasyPrint; poppler-utils (pdftotext)
# lets the tests read the text back (posters, the 台账 PDFs).
# Idempotent: does nothing when all are installed.
set -euo pipefail

PACKAGES=(fonts-noto-cjk chromium wrk)
PACKAGES+=(libpango-1.0-0 libpangoft2-1.0-0 poppler-utils)

missing=()
for package in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

# Node.js and npm for the mini-program's tests (Debian's nodejs 18+ is enough). Checked by command, not
# by package, so a Node.js installed another way (e.g. a vendor's nodejs that bundles npm) is kept.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "缺少系统软件包：${missing[*]}。本机没有 apt-get，请用系统的包管理器手动安装（中文字体与 Chromium）。" >&2
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "缺少系统软件包：${missing[*]}。请以 root 身份运行：apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

echo "正在安装系统软件包：${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
