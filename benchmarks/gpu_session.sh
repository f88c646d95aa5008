#!/usr/bin/env bash
# Every GPU check the ops, unit-visualization, DeepDream and CLIP work needs, for the device tool.
# Results land in $OUT, one file per check, written as each check ends (a cut-off run keeps the rest).
#
#   bash benchmarks/gpu_session.sh checks   # DeepDream benchmark, CUDA op tests and checks, ops table
#   bash benchmarks/gpu_session.sh engine   # unit visualization (AMP fidelity, batches 1/32/256), CLIP
#   bash benchmarks/gpu_session.sh          # both, one after the other
#   bash benchmarks/gpu_session.sh quality  # the ImageNet quality row at Lucent's default 512 steps
#
# The quality part needs the two MobileNetV2s of ../shared, which the device machine lacks: copy
# them into the checkout's ignored shared/ first (the device tool sends shared/ along):
#   mkdir -p shared/weights/imagenet && cp ../shared/weights/imagenet/*.pth shared/weights/imagenet/
#
# Two parts, because one device command may run 10 minutes at most; each check has its own time
# limit so one that hangs cannot eat the others' time.
#
# The GPU machine has torch, torchvision, timm, huggingface_hub, matplotlib, pillow, tqdm and pytest
# but no network: carry torch-lucent and open_clip with what they need that is not there (here, once):
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux2014_x86_64 -d .whl torch-lucent==0.1.8 kornia==0.4.1 decorator \
#     open_clip_torch==3.3.0 ftfy wcwidth
# then run with carry [".whl"].
set -o pipefail
part=${1:-all}
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu-results}
mkdir -p "$OUT"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__)"
  nproc; } > "$OUT/hardware.txt" 2>&1

check() {  # check NAME SECONDS COMMAND...: run with a time limit, output to $OUT/NAME, say how long it took
  local name=$1 limit=$2 start=$SECONDS
  shift 2
  timeout "$limit" "$@" > "$OUT/$name" 2>&1
  echo "$name: exit $? after $((SECONDS - start)) s (limit $limit s)" | tee -a "$OUT/timings.txt"
}

if [ "$part" = checks ] || [ "$part" = all ]; then
  check dream_cuda.md 120 python3 benchmarks/dream.py --device cuda
  check cuda_tests.log 90 python3 -m pytest -q -p no:cacheprovider tests/test_ops_checker.py \
    tests/test_ops_errors.py tests/test_truncate.py -k "cuda or CUDA"
  check check_cuda.txt 120 python3 -m diffprog.check --devices cuda
  check ops_cuda.md 150 python3 benchmarks/ops.py --device cuda --rounds 3 --min-time 0.2
fi
if [ "$part" = engine ] || [ "$part" = all ]; then
  check unitvis_amp.md 90 python3 benchmarks/unitvis.py --device cuda --model resnet50 --steps 128 --amp-fidelity
  check unitvis_cuda.md 330 python3 benchmarks/unitvis.py --device cuda --model resnet50 --steps 128 \
    --batches 1 32 256 --lucent-batches 1 32 --compile reduce-overhead
  check clip_cuda.md 150 python3 benchmarks/clip.py --device cuda --compile reduce-overhead
  # MobileNetV2 (random init here: the device machine has no ../shared; the speed is the same)
  check unitvis_mobilenet_cuda.md 150 python3 benchmarks/unitvis.py --device cuda --model mobilenet_v2 --steps 64 \
    --batches 1 16
fi
if [ "$part" = quality ]; then
  check unitvis_quality_imagenet_512.md 560 python3 benchmarks/unitvis_quality.py --only imagenet --seeds 2 \
    --steps 512 --device cuda
fi
tail -n 12 "$OUT"/*.md "$OUT"/*.txt 2>/dev/null
