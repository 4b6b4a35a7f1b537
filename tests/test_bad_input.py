"Every bad input a user can give `drop-nb` is refused before any work: exit code 2 and one line naming the fix."
import contextlib, io, json, sys
from pathlib import Path
import numpy as np, pytest
import drop_nb.experiments as ex
from drop_nb.cli import main
from drop_nb.store import config_id, run_path, save_run, load_results

N, M = 300, 120                                  # training and test samples of the small .npz files (3 classes)

def _npz_files(d:Path):
    "Small .npz files, one good and one per way of being broken."
    rng = np.random.default_rng(0)
    xs = lambda n: rng.normal(size=(n, 6)).astype(np.float32)
    ytr, yte, i, j = np.arange(N) % 3, np.arange(M) % 3, np.arange(N), np.arange(M)
    base = dict(x_train=xs(N), y_train=ytr, x_test=xs(M), y_test=yte)
    few = lambda n: np.where(yte == 2, 0, yte) if n == 0 else np.where((yte == 2) & (j > 2), 0, yte)
    files = dict(good={}, groups=dict(g_train=2 * (ytr % 2) + i % 2, g_test=2 * (yte % 2) + j % 2),
        float_labels=dict(y_train=ytr + 0.5), whole_float_labels=dict(y_train=ytr.astype(float)),
        nan_x=dict(x_train=np.full((N, 6), np.nan, np.float32)),
        inf_x_test=dict(x_test=np.where(j[:, None] == 3, np.inf, xs(M)).astype(np.float32)),
        test_label_unseen=dict(y_test=np.where(j == 5, 7, yte)),
        test_label_negative=dict(y_test=np.where(j == 5, -1, yte)),
        train_label_negative=dict(y_train=np.where(i == 5, -1, ytr)), zero_test_samples=dict(y_test=few(0)),
        one_test_sample=dict(y_test=few(1)),
        label_gap=dict(y_train=np.where(ytr == 2, 5, ytr), y_test=np.where(yte == 2, 5, yte)),
        short_classes=dict(classes=np.array(['a', 'b'])), one_class=dict(y_train=ytr * 0, y_test=yte * 0),
        negative_groups=dict(g_train=np.where(i == 3, -1, ytr), g_test=yte),
        test_group_unseen=dict(g_train=ytr, g_test=np.where(j == 4, 9, yte)),
        float_groups=dict(g_train=ytr + 0.5, g_test=yte), only_g_train=dict(g_train=ytr),
        group_in_one_half=dict(g_train=i % 2, g_test=(j == 0).astype(int)),
        empty_train=dict(x_train=np.zeros((0, 6), np.float32), y_train=np.zeros(0, int)),
        empty_test=dict(x_test=np.zeros((0, 6), np.float32), y_test=np.zeros(0, int)),
        labels_2d=dict(y_train=ytr[:, None]), string_labels=dict(y_train=np.array(['a', 'b', 'c'])[ytr]),
        string_features=dict(x_train=np.array([['a'] * 6] * N)), lengths_differ=dict(y_train=ytr[:-1]),
        feature_shapes_differ=dict(x_test=xs(M)[:, :4]))
    for name, kw in files.items(): np.savez(d/f'{name}.npz', **(base | kw))
    np.savez(d/'no_y_test.npz', x_train=base['x_train'], y_train=ytr, x_test=base['x_test'])
    (d/'table.csv').write_text('a,b\n1,2\n')

def _prune_files(d:Path):
    "Labels, recalls and scores for `drop-nb prune`, good and broken."
    y = np.arange(N) % 3
    arrays = dict(labels=y, recalls=np.array([.5, .8, .9]), scores=np.random.default_rng(0).random(N),
                  empty_labels=np.zeros(0, int), half_labels=y + .5, gap_labels=np.where(y == 2, 5, y),
                  negative_labels=np.where(np.arange(N) == 7, -1, y),
                  recalls_1x3=np.array([[.5, .8, .9]]), recalls_2=np.array([.5, .8]), recalls_5=np.full(5, .7),
                  recalls_above_1=np.array([.5, .8, 1.5]), recalls_words=np.array(['low', 'mid', 'high']),
                  scores_short=np.zeros(10), scores_words=np.array(['hard'] * N))
    for k, v in arrays.items(): np.save(d/f'{k}.npy', v)
    (d/'empty_file.npy').write_bytes(b'')

def _result_files(d:Path):
    "Result tables that `figures` cannot draw, and a results folder with two damaged run files among three."
    (d/'no_columns.jsonl').write_text(json.dumps({'a': 1}) + '\n')
    (d/'few_columns.csv').write_text('dataset,protocol\nx,Random\n')
    (d/'no_metrics.jsonl').write_text(json.dumps(dict(dataset='x', protocol='Random', density=.5, seed=0)) + '\n')
    (d/'damaged.jsonl').write_text(json.dumps(dict(dataset='x')) + '\n{"dataset": \n')
    cfgs = ex.make_grid('smoke', datasets=['mnist1d'], imbalances=[1])[:3]
    rows = [dict(run_id=config_id(c), dataset=c.dataset, protocol=c.protocol, density=c.density, seed=c.seed,
                 imbalance=1., avg_acc=.9, worst_acc=.8) for c in cfgs]
    save_run(d/'res', rows[0])
    run_path(d/'res', rows[1]['run_id']).write_text(json.dumps(rows[1])[:60])              # cut short
    run_path(d/'res', rows[2]['run_id']).write_text(json.dumps(rows[2] | dict(worst_acc=None)))   # incomplete
    (d/'a_file').write_text('not a folder')

@pytest.fixture(scope='module')
def d(tmp_path_factory):
    "A folder holding every input of the cases."
    d = tmp_path_factory.mktemp('bad')
    _npz_files(d); _prune_files(d); _result_files(d)
    return d

@pytest.fixture(autouse=True)
def no_training(monkeypatch):
    "Any training in this file is a failure: every case is refused (or read) before a model is built."
    def boom(*a, **k): raise AssertionError('a model was trained')
    monkeypatch.setattr(ex, 'train_model', boom)

RUN = ('run', '--dry-run', '--out', '{d}/out')
DATA = RUN + ('--data',)
PRUNE = ('prune', '--labels', '{d}/labels.npy', '--recalls', '{d}/recalls.npy', '--density', '0.3',
         '--out', '{d}/k.npy')
def _with(argv, **kw):
    "`argv` with the values of some options replaced (`labels='x'` sets `--labels x`)."
    a = list(argv)
    for k, v in kw.items(): a[a.index('--' + k.replace('_', '-')) + 1] = v
    return tuple(a)

# (case, argv ('{d}': the scratch folder), exit code, fragment of the one stderr line (stdout where the code is 0))
CASES = [
    # a user's .npz (`run --data`): refused before training, the key, the problem and the fix named
    ('npz: labels 0.5/1.5/2.5', DATA + ('{d}/float_labels.npz',), 2,
     'y_train holds class ids that are not whole numbers (300 of 300'),
    ('npz: labels 0./1./2. (whole floats)', DATA + ('{d}/whole_float_labels.npz',), 0, '5 runs in the grid'),
    ('npz: features all NaN', DATA + ('{d}/nan_x.npz',), 2, 'x_train has 300 samples with NaN or infinite features'),
    ('npz: an inf in x_test', DATA + ('{d}/inf_x_test.npz',), 2, 'x_test has 1 samples with NaN or infinite'),
    ('npz: test label training lacks', DATA + ('{d}/test_label_unseen.npz',), 2,
     'y_test holds class 7, which y_train lacks'),
    ('npz: negative test label', DATA + ('{d}/test_label_negative.npz',), 2, 'y_test holds negative class ids'),
    ('npz: negative training label', DATA + ('{d}/train_label_negative.npz',), 2, 'y_train holds negative class ids'),
    ('npz: class with 0 test samples', DATA + ('{d}/zero_test_samples.npz',), 2, 'y_test has 0 sample(s) of class 2'),
    ('npz: class with 1 test sample', DATA + ('{d}/one_test_sample.npz',), 2, 'y_test has 1 sample(s) of class 2'),
    ('npz: labels {0, 1, 5}', DATA + ('{d}/label_gap.npz',), 2, 'y_train has no sample of class 2, 3, 4'),
    ('npz: classes key shorter than K', DATA + ('{d}/short_classes.npz',), 2, 'classes has 2 names but y_train'),
    ('npz: one class', DATA + ('{d}/one_class.npz',), 2, 'single class'),
    ('npz: negative group id', DATA + ('{d}/negative_groups.npz', '--groups'), 2, 'g_train holds negative group ids'),
    ('npz: test group training lacks', DATA + ('{d}/test_group_unseen.npz', '--groups'), 2,
     'g_test holds group 9, which g_train lacks'),
    ('npz: group ids 0.5/1.5', DATA + ('{d}/float_groups.npz', '--groups'), 2,
     'g_train holds group ids that are not whole numbers (300'),
    ('npz: g_train without g_test', DATA + ('{d}/only_g_train.npz',), 2, 'give both g_train and g_test'),
    ('npz: group missing from a half', DATA + ('{d}/group_in_one_half.npz', '--groups'), 2,
     'group 1 has no sample in the'),
    ('npz: empty training split', DATA + ('{d}/empty_train.npz',), 2, 'y_train holds no samples'),
    ('npz: empty test split', DATA + ('{d}/empty_test.npz',), 2, 'y_test holds no samples'),
    ('npz: y_train of shape (N, 1)', DATA + ('{d}/labels_2d.npz',), 2, 'y_train has shape (300, 1)'),
    ('npz: string labels', DATA + ('{d}/string_labels.npz',), 2, 'y_train holds <U1 values, not class ids'),
    ('npz: string features', DATA + ('{d}/string_features.npz',), 2, 'x_train holds <U1 values'),
    ('npz: x and y lengths differ', DATA + ('{d}/lengths_differ.npz',), 2,
     'x_train has 300 samples but y_train has 299'),
    ('npz: feature shapes differ', DATA + ('{d}/feature_shapes_differ.npz',), 2, "x_train's samples have shape (6,)"),
    ('npz: a key missing', DATA + ('{d}/no_y_test.npz',), 2, "lacks ['y_test']"),
    ('npz: a CSV file', DATA + ('{d}/table.csv',), 2, 'is not an .npz file'),
    ('npz: a folder', DATA + ('{d}',), 2, 'a folder; pass an .npz'),
    ('npz: no such file', DATA + ('{d}/none.npz',), 2, 'no such file'),
    ('npz: --groups without groups', DATA + ('{d}/good.npz', '--groups'), 2, '--groups cannot be used'),
    ('npz: imbalance empties a class', DATA + ('{d}/good.npz', '--imbalances', '1000'), 2,
     'leaves class 2 no training sample'),
    ('npz: --groups runs Group DRO', DATA + ('{d}/groups.npz', '--groups'), 0, '7 runs in the grid'),
    # every option of `run`, checked before any work, --dry-run included
    ('run: --seeds -1', RUN + ('--seeds', '-1'), 2, '--seeds -1: a seed is an integer in 0..4294967295'),
    ('run: --seeds 2**32', RUN + ('--seeds', str(2**32)), 2, '--seeds 4294967296'),
    ('run: --seeds 1e20', RUN + ('--seeds', '1e20'), 2, "invalid int value: '1e20'"),
    ('run: --imbalances -2', DATA + ('{d}/good.npz', '--imbalances', '-2'), 2, '--imbalances -2: an imbalance factor'),
    ('run: --imbalances nan', DATA + ('{d}/good.npz', '--imbalances', 'nan'), 2, '--imbalances nan'),
    ('run: --imbalances 0', DATA + ('{d}/good.npz', '--imbalances', '0'), 2, '--imbalances 0'),
    ('run: --imbalances -2 (preset)', RUN + ('--imbalances', '-2'), 2, '--imbalances -2'),
    ('run: --threads -2', RUN + ('--threads', '-2'), 2, '--threads -2: use at least 1'),
    ('run: --threads 0', RUN + ('--threads', '0'), 2, '--threads 0'),
    ('run: --out an existing file', _with(RUN, out='{d}/a_file'), 2, 'is a file; pass a folder'),
    ('run: --out inside a file', _with(RUN, out='{d}/a_file/res'), 2, 'is a file, so'),
    ('run: --densities 0', RUN + ('--densities', '0'), 2, '--densities 0: pruning densities are in (0, 1)'),
    ('run: --densities 1.5', RUN + ('--densities', '1.5'), 2, '--densities 1.5'),
    ('run: --epochs 0', RUN + ('--epochs', '0'), 2, '--epochs 0: use at least 1'),
    ('run: --shard 2/2', RUN + ('--shard', '2/2'), 2, '--shard 2/2: need 0 <= i < n'),
    ('run: --shard 1of2', RUN + ('--shard', '1of2'), 2, 'must look like i/n'),
    ('run: --groups without --data', RUN + ('--groups',), 2, '--groups applies to --data'),
    ('run: unknown preset', RUN + ('--preset', 'huge'), 2, "preset 'huge' is not known"),
    ('run: unknown protocol', RUN + ('--protocols', 'Foo'), 2, "protocol 'Foo' is not known"),
    ('run: damaged run files', _with(RUN, out='{d}/res') + ('--datasets', 'mnist1d', '--imbalances', '1'), 0,
     '1 done in {d}/res; 2 damaged run files will be moved aside and redone'),
    # `prune` on the user's own arrays
    ('prune: the good inputs', PRUNE, 0, 'kept 90 of 300 samples'),
    ('prune: --labels an empty file', _with(PRUNE, labels='{d}/empty_file.npy'), 2,
     'is not a readable .npy of numbers (EOFError)'),
    ('prune: --labels an .npz', _with(PRUNE, labels='{d}/good.npz'), 2, 'is an .npz archive of'),
    ('prune: --labels a folder', _with(PRUNE, labels='{d}'), 2, 'is a folder; pass a .npy file'),
    ('prune: --labels missing', _with(PRUNE, labels='{d}/none.npy'), 2, 'does not exist'),
    ('prune: no labels', _with(PRUNE, labels='{d}/empty_labels.npy'), 2, 'labels is empty'),
    ('prune: labels 0.5/1.5/2.5', _with(PRUNE, labels='{d}/half_labels.npy'), 2,
     'labels must be integer class ids in 0..K-1, got dtype float64 with non-integer values'),
    ('prune: a negative label', _with(PRUNE, labels='{d}/negative_labels.npy'), 2,
     'labels must be class ids 0..K-1, got -1'),
    ('prune: labels {0, 1, 5}', _with(PRUNE, labels='{d}/gap_labels.npy'), 2,
     '--recalls has 3 values but --labels has 6 classes (0..5)'),
    ('prune: recalls of shape (1, 3)', _with(PRUNE, recalls='{d}/recalls_1x3.npy'), 2,
     '--recalls must be 1-d (one value per class), got shape (1, 3)'),
    ('prune: fewer recalls than classes', _with(PRUNE, recalls='{d}/recalls_2.npy'), 2,
     '--recalls has 2 values but --labels has 3 classes'),
    ('prune: more recalls than classes', _with(PRUNE, recalls='{d}/recalls_5.npy'), 2,
     '--recalls has 5 values but --labels has 3 classes'),
    ('prune: a recall above 1', _with(PRUNE, recalls='{d}/recalls_above_1.npy'), 2, '--recalls must be in [0, 1]'),
    ('prune: recalls as words', _with(PRUNE, recalls='{d}/recalls_words.npy'), 2,
     '--recalls must be numbers in [0, 1]'),
    ('prune: scores too short', PRUNE + ('--scores', '{d}/scores_short.npy'), 2,
     'scores has shape (10,) but labels has 300 samples'),
    ('prune: scores as words', PRUNE + ('--scores', '{d}/scores_words.npy'), 2, 'scores must be numbers'),
    ('prune: --density -0.1', _with(PRUNE, density='-0.1'), 2, '--density must be in [0, 1]'),
    ('prune: --density 1.5', _with(PRUNE, density='1.5'), 2, '--density must be in [0, 1]'),
    ('prune: --density nan', _with(PRUNE, density='nan'), 2, '--density must be in [0, 1]'),
    ('prune: --seed -1', PRUNE + ('--seed', '-1'), 2, '--seed -1: a seed is an integer'),
    ('prune: --out a folder', _with(PRUNE, out='{d}'), 2, 'is a folder; pass a file name'),
    # `figures`
    ('figures: a table without columns', ('figures', '--results', '{d}/no_columns.jsonl'), 2,
     "lacks columns ['dataset', 'protocol', 'density', 'seed']"),
    ('figures: a table lacking columns', ('figures', '--results', '{d}/few_columns.csv'), 2,
     "lacks columns ['density', 'seed']"),
    ('figures: a table without metrics', ('figures', '--results', '{d}/no_metrics.jsonl'), 2,
     'need avg_acc and worst_acc'),
    ('figures: a damaged table', ('figures', '--results', '{d}/damaged.jsonl'), 2, 'line 2 is not JSON'),
    ('figures: no such results', ('figures', '--results', '{d}/nothing'), 2, 'do not exist'),
    ('figures: --out an existing file', ('figures', '--results', '{d}/res', '--out', '{d}/a_file'), 2,
     'is a file; pass a folder'),
    ('figures: damaged run files', ('figures', '--results', '{d}/res', '--out', '{d}/figs', '--quiet'), 0,
     'warning: skipping run file {d}/res/runs/'),
]

def cli(argv:tuple, d:Path)->tuple:
    "Exit code, stdout and stderr of `drop-nb *argv` run in this process."
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e): rc = main([a.format(d=d) for a in argv])
    return rc, o.getvalue(), e.getvalue()

@pytest.mark.parametrize('case,argv,code,msg', CASES, ids=[c[0] for c in CASES])
def test_cli_case(d, case, argv, code, msg):
    rc, out, err = cli(argv, d)
    assert rc == code, (rc, out, err)
    assert 'Traceback' not in out + err
    if code == 2: assert len(err.strip().splitlines()) == 1, err          # one line, naming the problem
    assert msg.format(d=d) in (err if code else out + err), (out, err)

def test_damaged_runs_are_redone(tmp_path):
    "A rerun of a grid moves each damaged run file aside (one line each) and redoes exactly those runs."
    cfgs = ex.make_grid('smoke', datasets=['mnist1d'], imbalances=[1])
    row = lambda c, o: dict(dataset=c.dataset, protocol=c.protocol, density=c.density, seed=c.seed, avg_acc=.9,
                            worst_acc=.8)
    ex.run_grid(cfgs, tmp_path, run_fn=row, progress=False, verbose=False)
    p0, p1 = (run_path(tmp_path, config_id(c)) for c in cfgs[:2])
    p0.write_text(p0.read_text()[:30]); p1.write_text('[]')
    calls, o = [], io.StringIO()
    with contextlib.redirect_stdout(o):
        df = ex.run_grid(cfgs, tmp_path, run_fn=lambda c, out: calls.append(c) or row(c, out), progress=False,
                         verbose=False)
    assert calls == cfgs[:2] and len(df) == len(cfgs)
    assert o.getvalue().count('moved aside') == 2 and p0.with_name(p0.name + '.bad').exists()
    assert len(load_results(tmp_path)) == len(cfgs)

API = [  # the Python API: typed errors naming the argument
    ('select.prune: 2 recalls, 3 classes', lambda: sel.prune(Y, .5, recalls=[.5, .6]), ValueError,
     'labels hold classes 0..2 but recalls has 2 values'),
    ('select.prune: recalls of shape (1, 3)', lambda: sel.prune(Y, .5, recalls=[[.5, .6, .7]]), ValueError,
     'recalls must be 1-d'),
    ('select.prune: a negative kept index', lambda: sel.prune(Y, .5, quota='strategyq', kept=[-1, 0]), ValueError,
     'kept must hold indices in 0..29'),
    ('select.prune: scores as words', lambda: sel.prune(Y, .5, scores=['a'] * 30), ValueError,
     'scores must be numbers'),
    ('select.prune: seed -1', lambda: sel.prune(Y, .5, seed=-1), ValueError, 'seed must be a non-negative integer'),
    ('select.prune: string labels', lambda: sel.prune(np.array(['a'] * 30), .5), ValueError, 'map them to integers'),
    ('select.kept_densities: index 30', lambda: sel.kept_densities(Y, [30]), ValueError, 'keep must hold indices'),
    ('datasets.from_arrays: labels 0.5', lambda: ds.from_arrays('x', np.zeros((4, 2)), [.5, 1.5, .5, 1.5],
     np.zeros((4, 2)), [0, 1, 0, 1]), ValueError, 'y_train holds class ids that are not whole numbers (4 of 4'),
    ('datasets.from_arrays: empty training split', lambda: ds.from_arrays('x', np.zeros((0, 2)), [], np.zeros((4, 2)),
     [0, 1, 0, 1]), ValueError, 'y_train holds no samples'),
    ('datasets.imbalance_counts: factor NaN', lambda: ds.imbalance_counts(10, 3, float('nan')), ValueError,
     'finite number >= 1'),
]
import drop_nb.select as sel, drop_nb.datasets as ds
Y = np.arange(30) % 3

@pytest.mark.parametrize('case,f,exc,msg', API, ids=[c[0] for c in API])
def test_api_case(case, f, exc, msg):
    with pytest.raises(exc) as e: f()
    assert msg in str(e.value), str(e.value)

if __name__ == '__main__':                                   # the table of cases: python tests/test_bad_input.py
    import tempfile
    d = Path(tempfile.mkdtemp()); _npz_files(d); _prune_files(d); _result_files(d)
    ex.train_model = lambda *a, **k: sys.exit('a model was trained')
    print('| case | exit | message |\n|---|---|---|')
    for case, argv, code, msg in CASES:
        rc, out, err = cli(argv, d)
        lines = (err + out).splitlines()
        line = next((l for l in lines if msg.format(d=d) in l), lines[0] if lines else '')
        print(f"| {case} | {rc} | {line.replace(str(d), '<tmp>').replace('|', '/')} |")
