#!/usr/bin/env bash
# Every GPU check the ops, unit-visualization, DeepDream and CLIP work still needs, in one device-tool
# call: CUDA op checks and the ops, unit-visualization, DeepDream and CLIP benchmarks. Results land in $OUT.
#
# The GPU machine has torch, torchvision, matplotlib, pillow, tqdm and pytest but no network:
# carry torch-lucent and its needs as wheels (here, once):
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux2014_x86_64 -d .whl torch-lucent==0.1.8 kornia==0.4.1 decorator \
#     open_clip_torch==3.3.0 ftfy wcwidth regex huggingface_hub safetensors timm filelock fsspec pyyaml \
#     packaging typing_extensions httpx httpcore h11 anyio idna certifi sniffio hf-xet
# (open_clip for benchmarks/clip.py; if an import still fails there, add the missing package.)
# then run with carry [".whl"]:  bash benchmarks/gpu_session.sh
set -o pipefail
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu-results}
mkdir -p "$OUT"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; python3 -c "import torch; print('torch', torch.__version__)"; } > "$OUT/hardware.txt"
python3 -m pytest -q -p no:cacheprovider tests/test_ops_checker.py tests/test_ops_errors.py -k cuda 2>&1 | tee "$OUT/cuda_tests.log"
python3 -m diffprog.check --devices cuda > "$OUT/check_cuda.txt" 2>&1
python3 benchmarks/ops.py --device cuda > "$OUT/ops_cuda.md" 2>&1
python3 -m pytest -q -p no:cacheprovider tests/test_truncate.py tests/test_optvis.py 2>&1 | tail -n 5 > "$OUT/optvis_tests.log"
python3 benchmarks/unitvis.py --device cuda --steps 128 --batches 1 32 256 --compile reduce-overhead > "$OUT/unitvis_cuda.md" 2>&1
python3 benchmarks/dream.py --device cuda > "$OUT/dream_cuda.md" 2>&1
python3 benchmarks/clip.py --device cuda --compile reduce-overhead > "$OUT/clip_cuda.md" 2>&1
python3 -m pytest -q -p no:cacheprovider tests/test_clip.py -k "autocast or rises" 2>&1 | tail -n 3 > "$OUT/clip_tests.log"
tail -n 3 "$OUT"/*.md "$OUT/check_cuda.txt"
