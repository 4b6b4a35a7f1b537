#!/usr/bin/env bash
# Run on the machine with the data, before copying the tree to a GPU machine: fills the ignored folder .gpu_data/ with
# the data archives, the wheels a bare GPU image lacks (fastai & co., for Python 3.12) and the commit; checks the size.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd); cd "$REPO"
SRC=${GPU_DATA_SRC:-$REPO/../shared/data}
D=$REPO/.gpu_data; mkdir -p "$D/whl"
for f in cifar10.tgz tinyimagenet32.tgz; do cmp -s "$SRC/$f" "$D/$f" || cp "$SRC/$f" "$D/$f"; done
if [ -z "$(ls "$D"/whl/*.whl 2>/dev/null)" ]; then
  PIP=${PIP:-$REPO/.venv/bin/python -m pip}
  $PIP download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d "$D/whl" \
    fastai==2.8.12 fastcore==2.2.41 fastdownload==0.0.8 fasttransform==0.0.5 plum-dispatch==2.9.0 beartype==0.23.1 fastprogress==1.0.3
fi   # fastprogress 1.0.3: 1.1.x imports python-fasthtml (a web stack); spacy (fastai.text only) is not needed
git rev-parse HEAD > "$D/commit.txt"
git status --porcelain --untracked-files=no | grep -q . && echo "(uncommitted changes in the tree)" >> "$D/commit.txt" || true
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -c %s 2>/dev/null | awk '{s+=$1} END{print s+0}')
carry=$(du -sb "$D" | cut -f1)
echo "to copy: working tree $((tree/1024)) KiB + .gpu_data $((carry/1024)) KiB = $(((tree+carry)/1048576)) MiB of 64 MiB"
[ $((tree + carry)) -lt $((64*1048576)) ] || { echo "over the 64 MiB limit: ignore or remove large untracked files"; exit 1; }
