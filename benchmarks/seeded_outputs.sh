#!/usr/bin/env bash
# Seeded CPU runs of the default commands (and variants that reach every parameterization, the guide,
# the zoom, and real CIFAR weights); prints the sha256 of every picture they write and of the numbers
# in every JSON (its command line, versions and checkout paths left out). Run it on two checkouts
# (ROOT=…) and diff the two listings: a refactoring must leave them byte-identical.
#
#     ROOT=/path/to/old/checkout benchmarks/seeded_outputs.sh /tmp/before > before.txt
#     benchmarks/seeded_outputs.sh /tmp/after > after.txt && diff before.txt after.txt
set -euo pipefail
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}; cd "$ROOT"; export PYTHONPATH="$ROOT"
O=$(realpath -m "${1:?give an empty output folder}"); rm -rf "$O"; mkdir -p "$O"
export CUDA_VISIBLE_DEVICES=""
python scripts/visualize_unit.py --out "$O/vis" > /dev/null 2>&1
python scripts/visualize_unit.py --layer block2.conv2 --units 0-3 --param pixel --steps 40 --optimizer momentum --out "$O/vis2" > /dev/null 2>&1
python scripts/visualize_unit.py --model cifar10-resnet20 --weights ../shared/weights/cifar10-resnet/resnet20.th --units 0,3 --steps 30 --out "$O/vis3" > /dev/null 2>&1 || echo "vis3 failed"
python scripts/deep_dream.py --out "$O/dream.png" > /dev/null 2>&1
python scripts/deep_dream.py --out "$O/dream_guide.png" --guide assets/sample_landscape.png --steps 3 --octaves 2 > /dev/null 2>&1
python scripts/deep_dream.py --out "$O/dream_zoom.png" --zoom-frames 2 --steps 2 --octaves 2 > /dev/null 2>&1
python scripts/clip_optimize.py --prompt "a red star" --out "$O/clip" > /dev/null 2>&1
python scripts/clip_optimize.py --prompt "a red star" --param shapes --restarts 2 --steps 40 --out "$O/clip_shapes" > /dev/null 2>&1
python scripts/clip_optimize.py --prompt "a green cross" --param generator --steps 30 --images 2 --out "$O/clip_gen" > /dev/null 2>&1
python scripts/clip_optimize.py --prompt "a blue circle" --contrast 1 --tv 0.1 --param pixel --steps 30 --init assets/sample_landscape.png --out "$O/clip_pix" > /dev/null 2>&1
python scripts/backprop_example.py --json > "$O/backprop.json"
export ROOT; cd "$O"; find . -type f \( -name '*.png' -o -name '*.gif' -o -name 'backprop.json' \) | sort | xargs sha256sum
# numbers in JSON (without command/versions)
python - <<'PY'
import hashlib, json, os, pathlib
for p in sorted(pathlib.Path('.').rglob('*.json')):
    if p.name == 'backprop.json': continue
    d = json.loads(p.read_text().replace(os.environ['ROOT'], 'ROOT')); [d.pop(k, None) for k in ('command', 'versions')]
    print(hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16], p)
PY
