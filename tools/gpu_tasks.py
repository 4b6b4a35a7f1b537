"""Python steps of `tools/gpu_run.sh` (the GPU grid in one command); each subcommand is one phase.

  tiny-data SRC DST       tiny copies of cifar10.tgz / tinyimagenet32.tgz (same layout) for the CPU dry run
  decode DATASET          decode one archive into the drop_nb array cache (the 'unpack' step)
  timing OUT.json         full-data CIFAR-10 with ResNet-9: train seconds, test accuracy, images/s, FLOPs, fraction of peak
  plan TIMING BUDGET PAR  the grid epochs E that fit BUDGET seconds at the timing run's images/s
  grid DATASET E DEADLINE --out DIR [--shard i/n]   the PRESET grid of DATASET (drop_nb.experiments) at E epochs
  report RESULTS OUTDIR   results.jsonl, summary.md and provenance.json from a finished results folder

The grid is the library's preset 'gpu-fast' (ResNet-9, one-cycle, bs 512, lr 0.4; drop_nb.protocol.PRESETS), or its
CPU dry run 'gpu-tiny' when GPU_RUN_SIZE=tiny; this script only selects it and sets E (as `drop-nb run --epochs`).
"""
from __future__ import annotations
import sys, os, io, json, time, tarfile, re, subprocess, datetime, platform
from pathlib import Path

TINY = os.environ.get('GPU_RUN_SIZE', 'full') == 'tiny'
# Peak dense bf16 tensor throughput of an H100/H200 SXM: NVIDIA H200 datasheet, "BF16 Tensor Core 1,979 TFLOPS"
# (with 2:4 sparsity) = 989.5 TFLOPS dense.
PEAK_BF16 = 989.5e12
PEAK_SRC = 'NVIDIA H200 SXM datasheet: BF16 Tensor Core 1,979 TFLOPS with sparsity -> 989.5 TFLOPS dense'

PRESET = 'gpu-tiny' if TINY else 'gpu-fast'   # the library preset the grid runs (drop_nb.protocol.PRESETS)

# ---------------------------------------------------------------------------------------------------------------------
def tiny_data(src:str, dst:str, n_train:int=30, n_test:int=20, n_wnids:int=20):
    "Write tiny archives with the real layouts: CIFAR-10 (n_train/n_test per class), Tiny-ImageNet-32 (n_wnids classes)."
    src, dst = Path(src), Path(dst); dst.mkdir(parents=True, exist_ok=True)
    def add(t, name, data):
        ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = 0; t.addfile(ti, io.BytesIO(data))
    cnt = {}
    with tarfile.open(src/'cifar10.tgz', 'r:*') as t, tarfile.open(dst/'cifar10.tgz', 'w:gz') as o:
        for m in t:
            if not m.isfile(): continue
            p = m.name.removeprefix('./').split('/')
            if len(p) >= 4 and p[-3] in ('train', 'test'):
                k = (p[-3], p[-2]); n = n_train if p[-3] == 'train' else n_test
                if cnt.get(k, 0) >= n: continue
                cnt[k] = cnt.get(k, 0) + 1
            add(o, m.name, t.extractfile(m).read())
    files, val, keep = {}, {}, None
    with tarfile.open(src/'tinyimagenet32.tgz', 'r:*') as t:
        for m in t:
            if not m.isfile(): continue
            n = m.name.removeprefix('./')
            if n.endswith(('wnids.txt', 'words.txt', 'val_annotations.txt')): files[n] = t.extractfile(m).read(); continue
            mt = re.match(r'^(.*)train/([^/]+)/images/[^/]+$', n)
            if mt:
                w = mt.group(2); c = cnt.setdefault(('tin', w), [])
                if len(c) < n_train: c.append((n, t.extractfile(m).read()))
                continue
            if '/val/images/' in n: val[n] = t.extractfile(m).read()  # keep; filtered by the annotations below
    top = next(n[:-len('wnids.txt')] for n in files if n.endswith('wnids.txt'))
    keep = sorted(files[f'{top}wnids.txt'].decode().split())[:n_wnids]
    ann, per = [], {}
    for l in files[f'{top}val/val_annotations.txt'].decode().splitlines():
        f = l.split('\t')
        if len(f) >= 2 and f[1] in keep and per.get(f[1], 0) < n_test: per[f[1]] = per.get(f[1], 0) + 1; ann.append(l)
    with tarfile.open(dst/'tinyimagenet32.tgz', 'w:gz') as o:
        add(o, f'{top}wnids.txt', ('\n'.join(keep) + '\n').encode())
        if f'{top}words.txt' in files: add(o, f'{top}words.txt', files[f'{top}words.txt'])
        add(o, f'{top}val/val_annotations.txt', ('\n'.join(ann) + '\n').encode())
        for l in ann: n = f"{top}val/images/{l.split(chr(9))[0]}"; add(o, n, val[n])
        for w in keep:
            for n, b in cnt[('tin', w)]: add(o, n, b)
    print(f'tiny archives in {dst}: cifar10 {n_train}/{n_test} per class, tinyimagenet32 {len(keep)} classes')

def decode(dataset:str):
    "Decode the archive of `dataset` into the array cache (later loads read the cached .npz)."
    from drop_nb.datasets import load_dataset
    t0 = time.time(); ds = load_dataset(dataset)
    print(f'decoded {ds!r} in {time.time() - t0:.1f}s')

# ---------------------------------------------------------------------------------------------------------------------
def _sync():
    import torch
    if torch.cuda.is_available(): torch.cuda.synchronize()

def flops_per_image(model, shape, device)->dict:
    "Forward and forward+backward FLOPs per image of `model` (torch.utils.flop_counter on one small batch, bf16 autocast on GPU)."
    import torch, copy
    from torch.utils.flop_counter import FlopCounterMode
    m = copy.deepcopy(model).to(device).train(); B = 8
    x = torch.randn(B, *shape, device=device)
    ctx = torch.autocast('cuda', dtype=torch.bfloat16) if torch.device(device).type == 'cuda' else torch.autocast('cpu', enabled=False)
    fc = FlopCounterMode(display=False)
    with fc, ctx: m(x).float().sum().backward()
    fc2 = FlopCounterMode(display=False)
    with fc2, ctx, torch.no_grad(): m(x)
    return dict(train=fc.get_total_flops() / B, forward=fc2.get_total_flops() / B)

def timing(out_json:str, epochs:int=0, budget_s:float=19.0):
    "Full-data CIFAR-10 on the grid's recipe (ResNet-9, one-cycle, no label smoothing), bf16 on the GPU: time, accuracy, rate."
    import torch, numpy as np
    from drop_nb.loaders import make_dls   # first: it imports fastai with fastai's import-time notice silenced
    from fastai.torch_core import set_seed
    from drop_nb.datasets import load_dataset
    from drop_nb.models import get_model
    from drop_nb.train import make_learner, fit_recipe
    from drop_nb import experiments as ex
    from drop_nb.protocol import PRESETS
    r = next(b.recipe for b in PRESETS[PRESET].blocks if b.dataset == 'cifar10')   # the grid's own recipe
    lr, bs, wd, model = r.lr, r.bs, r.wd, r.model
    cuda = torch.cuda.is_available(); dev = 'cuda' if cuda else 'cpu'
    torch.backends.cudnn.benchmark = cuda   # autotuned conv algorithms (the grid's train_model uses fastai's reproducible mode)
    ds = load_dataset('cifar10')
    idx = np.arange(len(ds.y_train))
    if TINY: idx = idx[:128]; bs = 64
    def learner(seed):
        set_seed(seed)
        dls = make_dls(ds, idx, bs=bs, augment=True)
        return make_learner(dls, get_model(model, ds), lr=lr, wd=wd, metrics=[])
    res = dict(dataset='cifar10', model=model, bs=bs, lr=lr, wd=wd, label_smoothing=0.,
               recipe=r.schedule, bf16=cuda, channels_last=cuda, data_on=dev, cudnn_benchmark=cuda, n_train=int(len(idx)),
               device=torch.cuda.get_device_name() if cuda else platform.processor() or 'cpu')
    # warm-up: one epoch (cuDNN autotuning, allocator, kernels); its rate chooses the epochs that fit `budget_s`
    learn = learner(1)
    with learn.no_bar(), learn.no_logging():
        _sync(); t0 = time.time(); fit_recipe(learn, 1, schedule=r.schedule, cbs=[ex.NoValidate()]); _sync(); tw = time.time() - t0
    res.update(warmup_s=round(tw, 3), warmup_img_s=round(len(idx) / tw, 1))
    learn = learner(1)   # second warm-up epoch measures the steady rate (the first one includes autotuning)
    with learn.no_bar(), learn.no_logging():
        _sync(); t0 = time.time(); fit_recipe(learn, 1, schedule=r.schedule, cbs=[ex.NoValidate()]); _sync(); tw2 = time.time() - t0
    rate = len(idx) / tw2
    E = int(epochs) or max(1, min(24, int(budget_s * rate / len(idx))))
    if TINY: E = 1
    res.update(steady_img_s_probe=round(rate, 1), epochs=E, epoch_rule=f'epochs = min(24, floor({budget_s} s x probe images/s / N)) unless GPU_TIMING_EPOCHS is set')
    learn = learner(0)
    with learn.no_bar(), learn.no_logging():
        _sync(); t0 = time.time(); fit_recipe(learn, E, schedule=r.schedule, cbs=[ex.NoValidate()]); _sync(); tt = time.time() - t0
    pred_t = ex.predict(learn.model, ds, 'test'); pred_v = ex.predict(learn.model, ds, 'valid')
    acc_t = float((pred_t == ds.y_test).mean()); acc_all = float(np.concatenate([pred_t == ds.y_test, pred_v == ds.y_valid]).mean())
    img_s = E * len(idx) / tt
    try: fl = flops_per_image(learn.model, ds.input_shape, dev)
    except Exception as e:   # keep the timing even if the counter fails on this torch
        print(f'FLOP count failed: {e!r}'); fl = dict(train=float('nan'), forward=float('nan'))
    res.update(train_s=round(tt, 3), test_acc=round(acc_t, 4), test_acc_full10k=round(acc_all, 4), img_s=round(img_s, 1),
               flops_train_per_img=fl['train'], flops_fwd_per_img=fl['forward'],
               achieved_tflops=round(fl['train'] * img_s / 1e12, 2),
               frac_peak_bf16=round(fl['train'] * img_s / PEAK_BF16, 4), peak_bf16_tflops=PEAK_BF16 / 1e12, peak_source=PEAK_SRC,
               flop_count_note='torch.utils.flop_counter.FlopCounterMode, one batch of 8, forward+backward (conv/matmul FLOPs; BN/ReLU/pool not counted)',
               target='>= 0.93 test accuracy in <= 20 s of training',
               target_met=bool(acc_all >= 0.93 and tt <= 20.0))
    Path(out_json).write_text(json.dumps(res, indent=1))
    print(json.dumps({k: res[k] for k in ('epochs', 'train_s', 'test_acc', 'test_acc_full10k', 'img_s', 'achieved_tflops', 'frac_peak_bf16', 'target_met')}))

# ---------------------------------------------------------------------------------------------------------------------
def grid(dataset:str, epochs:int, deadline:float, *args):
    "The PRESET grid of `dataset` at `epochs` epochs into --out (resumable), skipping runs that would start after `deadline`."
    import argparse
    from drop_nb import experiments as ex
    a = argparse.ArgumentParser(prog='gpu_tasks.py grid'); a.add_argument('--out', required=True); a.add_argument('--shard')
    a = a.parse_args(args)
    cfgs = ex.make_grid(PRESET, datasets=[dataset], epochs=int(epochs))
    if a.shard: cfgs = ex.shard_grid(cfgs, *map(int, a.shard.split('/')))
    def guarded(cfg, out):
        if time.time() > float(deadline): raise TimeoutError('time budget reached: run skipped (rerun the same command to resume)')
        return ex.run_one(cfg, out)
    print(f'grid {PRESET} {dataset} E={epochs} shard={a.shard}: {len(cfgs)} runs; recipe {cfgs[0].recipe}', flush=True)
    t0 = time.time(); df = ex.run_grid(cfgs, a.out, run_fn=guarded, progress=False)
    print(f'grid {dataset} shard={a.shard}: {len(df.attrs["failed"])} failed or skipped, {time.time() - t0:.1f}s', flush=True)

# ---------------------------------------------------------------------------------------------------------------------
def _versions()->dict:
    import importlib.metadata as md
    v = {'python': platform.python_version()}
    for p in ('torch', 'torchvision', 'fastai', 'fastcore', 'fastprogress', 'numpy', 'pandas', 'drop_nb'):
        try: v[p] = md.version(p)
        except Exception: v[p] = None
    try:
        import torch; v['cuda'] = torch.version.cuda; v['cudnn'] = torch.backends.cudnn.version()
    except Exception: pass
    return v

def _gpu()->dict:
    try:
        q = subprocess.run(['nvidia-smi', '--query-gpu=name,driver_version,memory.total,clocks.max.sm', '--format=csv,noheader'],
                           capture_output=True, text=True, timeout=20).stdout.strip()
        return dict(nvidia_smi=q, name=q.split(',')[0].strip() if q else None)
    except Exception as e: return dict(nvidia_smi=None, name=None, error=repr(e))

def report(results:str, outdir:str, phases_file:str, timing_json:str, commit_file:str, grid_log:str=''):
    "results.jsonl, summary.md, provenance.json under `outdir`."
    import numpy as np
    from dataclasses import asdict
    from drop_nb import store, analysis
    from drop_nb.protocol import PRESETS
    out = Path(outdir); out.mkdir(parents=True, exist_ok=True)
    df = analysis.results_table(results)
    store.export_results(df, out/'results.jsonl')
    phases = {}
    if Path(phases_file).exists():
        for l in Path(phases_file).read_text().splitlines():
            k, v = l.split('\t'); phases[k] = round(float(v), 2)
    tim = json.loads(Path(timing_json).read_text()) if Path(timing_json).exists() else None
    commit = Path(commit_file).read_text().strip() if Path(commit_file).exists() else ''
    grid_img = {}
    for d, g in df.groupby('dataset'):
        n_img = float((g['epochs'] * g['n_kept']).sum())
        grid_img[d] = dict(runs=int(len(g)), final_model_train_images=n_img, run_wall_s_sum=round(float(g['wall_s'].sum()), 1))
    prov = dict(created=datetime.datetime.now().isoformat(timespec='seconds'), size=os.environ.get('GPU_RUN_SIZE', 'full'),
                gpu=_gpu(), versions=_versions(), git=commit, host=platform.node(), phases_wall_s=phases,
                timing=tim, grid=grid_img, grid_epochs=os.environ.get('GPU_GRID_EPOCHS_USED'),
                preset=PRESET, settings={b.dataset: asdict(b.recipe) | {'epochs': 'see grid_epochs'} for b in PRESETS[PRESET].blocks},
                failed_or_skipped=[l.strip() for l in (Path(grid_log).read_text().splitlines() if grid_log and Path(grid_log).exists() else [])
                                   if re.search(r'failed|Timeout|Traceback|Error', l)][:200])
    lines = [f'# GPU run ({prov["size"]}): {prov["gpu"].get("name") or "no GPU"}', '',
             f'git {commit}; torch {prov["versions"].get("torch")}, fastai {prov["versions"].get("fastai")}, drop_nb {prov["versions"].get("drop_nb")}', '']
    if tim:
        how = ', '.join(k for k in ('bf16', 'channels_last') if tim.get(k)) or 'fp32'
        lines += [f'## Timing: CIFAR-10 ({tim["n_train"]} training images), ResNet-9, {how}, data on {tim["data_on"]}, {tim["device"]}', '',
                  f'{tim["epochs"]} epochs in {tim["train_s"]} s of training, test accuracy {tim["test_acc"]:.4f} (test half), '
                  f'{tim["test_acc_full10k"]:.4f} (all 10k); {tim["img_s"]:.0f} images/s; {tim["flops_train_per_img"]/1e9:.2f} GFLOP/image '
                  f'(fwd+bwd) -> {tim["achieved_tflops"]} TFLOP/s = {100*tim["frac_peak_bf16"]:.1f}% of {tim["peak_bf16_tflops"]:.0f} TFLOP/s '
                  f'dense bf16 peak ({tim["peak_source"]}); target met: {tim["target_met"]}', '']
    lines += ['## Phases (wall s)', '', *[f'- {k}: {v}' for k, v in phases.items()], '',
              f'grid epochs E = {prov["grid_epochs"]}; runs per dataset: ' + ', '.join(f'{d} {v["runs"]}' for d, v in grid_img.items()) +
              f'; failed or skipped lines in the grid log: {len(prov["failed_or_skipped"])}', '']
    for d, g in df[np.isclose(df['imbalance'].astype(float), 1.0)].groupby('dataset'):
        lines += [f'## {d}: mean over seeds (accuracy, worst-class accuracy)', '', '```',
                  analysis.seed_means(g).round(4).to_string(), '```', '']
        cc = analysis.claim_check(g) if 'Random+DRoP' in set(g.protocol) else []
        if len(cc): lines += [f'### {d}: claim check (Random+DRoP vs the other pruning protocols, worst-class accuracy)', '', '```', cc.round(4).to_string(), '```', '']
    (out/'summary.md').write_text('\n'.join(lines) + '\n')
    (out/'provenance.json').write_text(json.dumps(store.canonical(prov), indent=1))
    print('\n'.join(lines[:12]))

# ---------------------------------------------------------------------------------------------------------------------
SIZES = {'cifar10': 50_000, 'tinyimagenet': 100_000} # training images when a recipe keeps them all

def grid_images(E:int)->float:
    "Training images the PRESET grid processes at E epochs (`drop_nb.experiments.grid_cost`, the sharding's estimate too)."
    from drop_nb import experiments as ex
    return ex.grid_cost(ex.make_grid(PRESET, epochs=E), SIZES)

def plan(timing_json:str, budget_s:float, parallel:float=1.0, overhead:float=1.2, e_min:int=2, e_max:int=24):
    "The largest grid epochs E whose training images, at the timing run's rate x `parallel` / `overhead`, fit `budget_s`."
    rate = json.loads(Path(timing_json).read_text())['img_s']
    best, rows = e_min, []
    for E in range(e_min, e_max + 1):
        n = grid_images(E); t = n * overhead / (rate * parallel); rows.append((E, n, t))
        if t <= budget_s: best = E
    for E, n, t in rows[:12]: print(f'E={E:2d}: {n/1e6:6.2f} M training images -> ~{t:5.0f} s at {rate:.0f} img/s x {parallel} / {overhead}', file=sys.stderr)
    print(best)

if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'tiny-data': tiny_data(*args)
    elif cmd == 'decode': decode(*args)
    elif cmd == 'timing': timing(args[0], int(os.environ.get('GPU_TIMING_EPOCHS', '0') or 0))
    elif cmd == 'grid': grid(args[0], int(args[1]), float(args[2]), *args[3:])
    elif cmd == 'report': report(*args)
    elif cmd == 'plan': plan(args[0], float(args[1]), float(args[2]))
    else: sys.exit(f'unknown step {cmd!r}; see the module docstring')
