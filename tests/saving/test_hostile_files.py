"""Files crafted to make minikeras read beyond them: every one is refused with a ModelFileError
that names the file and the object inside it, and no byte of another file reaches the model."""
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

import minikeras as mk
from minikeras.saving import ModelFileError

SECRET = b"root:x:0:0:root:/root:/bin/bash\n" * 64


def _saved(tmp_path, name="m.h5", weights_only=False):
    model = mk.Sequential([mk.Input(shape=(4,)), mk.layers.Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer=mk.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
    model.fit(np.ones((8, 4), "float32"), np.arange(8) % 3, verbose=0)
    path = tmp_path / name
    (model.save_weights if weights_only else model.save)(path)
    return model, path


def _secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_bytes(SECRET)
    return path


def _replace(path, name, make):
    with h5py.File(path, "a") as f:
        del f[name]
        make(f, name)


def _refused(path, model, match):
    with pytest.raises(ModelFileError, match=match):
        mk.load_model(path)
    before = model.get_weights()
    with pytest.raises(ModelFileError, match=match):
        model.load_weights(path)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["weights/dense/kernel", "optimizer/velocity/dense/kernel"])
def test_external_raw_storage_is_refused(tmp_path, name):
    model, path = _saved(tmp_path)
    secret = _secret(tmp_path)
    _replace(path, name, lambda f, n: f.create_dataset(n, shape=(4, 3), dtype="f4", external=[(str(secret), 0, 48)]))
    with pytest.raises(ModelFileError, match=rf"m\.h5.*/{name}.*outside this file"):
        mk.load_model(path)
    if name.startswith("weights"):
        _refused(path, model, "outside this file")


def test_a_relative_external_file_is_refused_too(tmp_path, monkeypatch):
    model, path = _saved(tmp_path)
    _secret(tmp_path)
    monkeypatch.chdir(tmp_path)
    _replace(path, "weights/dense/bias", lambda f, n: f.create_dataset(n, shape=(3,), dtype="u1",
                                                                         external=[("secret.txt", 0, 3)]))
    _refused(path, model, "outside this file")


def test_external_links_are_refused(tmp_path):
    model, path = _saved(tmp_path)
    _, other = _saved(tmp_path, "other.h5")
    _replace(path, "weights/dense/kernel",
             lambda f, n: f.__setitem__(n, h5py.ExternalLink(str(other), "/weights/dense/kernel")))
    _refused(path, model, r"/weights/dense/kernel is a ExternalLink")
    model, path = _saved(tmp_path, "whole.h5")
    _replace(path, "weights", lambda f, n: f.__setitem__(n, h5py.ExternalLink(str(other), "/weights")))
    _refused(path, model, r"/weights is a ExternalLink")


def test_soft_links_and_loops_are_refused(tmp_path):
    model, path = _saved(tmp_path)
    _replace(path, "weights/dense/bias", lambda f, n: f.__setitem__(n, h5py.SoftLink("/weights/dense/kernel")))
    _refused(path, model, r"/weights/dense/bias is a SoftLink")
    model, path = _saved(tmp_path, "loop.h5", weights_only=True)
    _replace(path, "weights", lambda f, n: f.__setitem__(n, h5py.SoftLink("/weights")))
    done = subprocess.run([sys.executable, "-m", "minikeras", "inspect", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "SoftLink" in done.stderr


def test_virtual_datasets_are_refused(tmp_path):
    model, path = _saved(tmp_path)
    _, other = _saved(tmp_path, "other.h5")

    def virtual(f, name):
        layout = h5py.VirtualLayout(shape=(4, 3), dtype="f4")
        layout[:] = h5py.VirtualSource(str(other), "weights/dense/kernel", shape=(4, 3))
        f.create_virtual_dataset(name, layout)

    _replace(path, "weights/dense/kernel", virtual)
    _refused(path, model, "virtual dataset")


def test_a_declared_shape_is_checked_before_anything_is_read(tmp_path):
    model, path = _saved(tmp_path)
    # 2^19 x 2^10 float32 (2 GiB) declared in a few KB: chunked and never written.
    _replace(path, "weights/dense/kernel", lambda f, n: f.create_dataset(n, shape=(1 << 19, 1 << 10), dtype="f4",
                                                                         chunks=(1024, 1024)))
    assert path.stat().st_size < 100_000
    _refused(path, model, r"has shape \(524288, 1024\); the model's is \(4, 3\)")


def _set_attr(path, key, value, where="/"):
    with h5py.File(path, "a") as f:
        f[where].attrs[key] = value


@pytest.mark.parametrize("edit, match", [
    (lambda p: _set_attr(p, "format", np.array([b"minikeras", b"x"])), "not a minikeras file"),
    (lambda p: _set_attr(p, "training_state", '{"epoch": 1e400, "split_seed": 1, "rng": {}}'),
     "epoch must be a non-negative integer; got inf"),
    (lambda p: _set_attr(p, "training_state", '{"epoch": -3, "split_seed": 1, "rng": {}}'),
     "epoch must be a non-negative integer; got -3"),
    (lambda p: _set_attr(p, "iterations", -1, "optimizer"), "optimizer iterations must be a non-negative integer"),
    (lambda p: _set_attr(p, "last_learning_rate", "Infinity", "optimizer"), "Infinity is not a number"),
    (lambda p: _set_attr(p, "model_config", "[" * 200_000 + "]" * 200_000), "nested too deeply"),
    (lambda p: _set_attr(p, "model_config", " " * (1 << 23)), "characters; at most"),
])
def test_tampered_attributes_are_model_file_errors(tmp_path, edit, match):
    _, path = _saved(tmp_path)
    edit(path)
    with pytest.raises(ModelFileError, match=match):
        mk.load_model(path)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "m.h5"
    os.mkfifo(fifo)
    model, _ = _saved(tmp_path, "real.h5")
    with pytest.raises(ModelFileError, match="not a regular file"):
        mk.load_model(fifo)
    with pytest.raises(ModelFileError, match="not a regular file"):
        model.load_weights(fifo)


def test_a_schedule_that_overflows_is_an_error_not_a_traceback(tmp_path):
    model = mk.Sequential([mk.Input(shape=(4,)), mk.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=mk.optimizers.SGD(mk.schedules.StepDecay(0.1, 1e308, 1)))
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "a") as f:
        f["optimizer"].attrs["iterations"] = 10
    done = subprocess.run([sys.executable, "-m", "minikeras", "inspect", str(tmp_path / "m.h5")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "gives the rate inf at update 10" in done.stderr


def test_non_finite_weights_load_with_a_warning_and_inspect_says_so(tmp_path):
    model, path = _saved(tmp_path)
    with h5py.File(path, "a") as f:
        f["weights/dense/bias"][0] = np.nan
    with pytest.warns(UserWarning, match=r"dense/bias hold NaN or inf"):
        mk.load_model(path)
    done = subprocess.run([sys.executable, "-m", "minikeras", "inspect", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and "Warning:" in done.stdout and "dense/bias" in done.stdout


def _string_attribute_record(raw: bytes, name: str):
    """(descriptor offset, (length, heap address, object index)) of the string attribute `name`."""
    import struct

    from minikeras.saving.heap_check import _descriptor_offsets
    (offset,) = _descriptor_offsets(raw, name)
    return offset, struct.unpack_from("<IQI", raw, offset)


def _heap_object_offset(raw: bytes, address: int, index: int) -> int:
    import struct
    position = address + 16
    while True:
        object_index, _, size = struct.unpack_from("<HH4xQ", raw, position)
        if object_index == index:
            return position
        position += 16 + (size + 7) // 8 * 8


@pytest.mark.parametrize("damage", ["descriptor length", "collection size", "object size", "object index"])
@pytest.mark.parametrize("attribute", ["model_config", "kind", "last_learning_rate"])
def test_a_damaged_string_heap_record_is_refused_before_hdf5_allocates_it(tmp_path, damage, attribute):
    """HDF5 allocates what a string attribute's heap record claims before it checks the file holds
    it; these files claim up to 4 GB and 1 TB. minikeras reads the claim from the bytes first."""
    import resource
    import struct
    model, path = _saved(tmp_path)
    raw = bytearray(path.read_bytes())
    offset, (length, address, index) = _string_attribute_record(bytes(raw), attribute)
    if damage == "descriptor length":
        struct.pack_into("<I", raw, offset, 0xFFFFFFF0)
    elif damage == "collection size":
        struct.pack_into("<Q", raw, address + 8, 1 << 40)
    elif damage == "object size":
        struct.pack_into("<Q", raw, _heap_object_offset(bytes(raw), address, index) + 8, 1 << 40)
    else:
        struct.pack_into("<I", raw, offset + 12, 999)
    path.write_bytes(bytes(raw))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _refused(path, model, "heap record the file does not hold")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 100 * 1024  # KiB: nothing large allocated


def test_the_heap_check_passes_every_file_minikeras_writes(tmp_path):
    from minikeras.saving.heap_check import string_attribute_problem
    model, path = _saved(tmp_path)
    model.save_weights(tmp_path / "w.h5")
    for written in (path, tmp_path / "w.h5"):
        assert string_attribute_problem(written) is None


def _with_unknown_filter(path, name):
    """The dataset `name` stored through LZF, then its filter id changed to 32001, which no library
    registers: reading it would make HDF5 search HDF5_PLUGIN_PATH and load every library there."""
    with h5py.File(path, "a") as f:
        data = f[name][()]
        del f[name]
        f.create_dataset(name, data=data, compression="lzf", chunks=data.shape)
    raw = path.read_bytes()
    pipeline = b"\x00}\x08\x00\x01\x00\x03\x00lzf"  # filter id 32000 (LZF), little-endian, then its name
    assert raw.count(pipeline) == 1
    path.write_bytes(raw.replace(pipeline, b"\x01}" + pipeline[2:]))


def test_an_unknown_filter_is_refused_and_loads_no_plugin(tmp_path):
    model, path = _saved(tmp_path)
    _with_unknown_filter(path, "weights/dense/kernel")
    _refused(path, model, "HDF5 filter 32001; only the standard gzip, shuffle and Fletcher-32")
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    library = next(p for p in ("/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1",
                               "/lib64/libz.so.1") if os.path.exists(p))
    (plugins / "libplanted.so").write_bytes(open(library, "rb").read())
    code = ("import minikeras as mk, sys\ntry:\n    mk.load_model(sys.argv[1])\n"
            "except mk.saving.ModelFileError as e:\n    print('refused')\n")
    env = {**os.environ, "HDF5_PLUGIN_PATH": str(plugins), "LD_DEBUG": "files"}
    result = subprocess.run([sys.executable, "-c", code, str(path)], env=env, capture_output=True, timeout=120)
    assert result.stdout.decode().strip() == "refused"
    assert b"libplanted" not in result.stderr


def test_chunks_larger_than_the_array_are_refused(tmp_path):
    model, path = _saved(tmp_path)
    _replace(path, "weights/dense/kernel",
             lambda f, n: f.create_dataset(n, shape=(4, 3), maxshape=(None, None), chunks=(1 << 16, 1 << 6),
                                           dtype="f4", compression="gzip"))
    _refused(path, model, "declares chunks of 16,777,216 bytes")


def _peak_rss_of_loading(path) -> tuple[str, float]:
    """Load `path` in a child process; its outcome and peak resident memory in MB."""
    # VmHWM, the peak of this process's own memory (ru_maxrss would include the forking parent's).
    code = ("import sys, minikeras as mk\ntry:\n    mk.load_model(sys.argv[1]); print('loaded')\n"
            "except mk.ModelFileError as e:\n    print('refused:', e)\n"
            "peak = next(line for line in open('/proc/self/status') if line.startswith('VmHWM'))\n"
            "print(int(peak.split()[1]) / 1024)")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    outcome, peak = result.stdout.strip().rsplit("\n", 1)
    return outcome, float(peak)


def _with_config(path, change):
    import json
    with h5py.File(path, "a") as f:
        config = json.loads(f.attrs["model_config"])
        change(config["layers"][0]["config"])
        f.attrs["model_config"] = json.dumps(config)


@pytest.mark.parametrize("change", [lambda c: c.update(units=80_000_000),
                                    lambda c: c.update(units=6000, kernel_initializer={
                                        "class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}})],
                         ids=["80M units", "orthogonal 6000"])
def test_an_architecture_larger_than_its_file_is_refused_before_it_is_built(tmp_path, change):
    model = mk.Sequential([mk.Input(shape=(6000,)), mk.layers.Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.save(tmp_path / "m.h5")
    _with_config(tmp_path / "m.h5", change)
    outcome, peak = _peak_rss_of_loading(tmp_path / "m.h5")
    assert outcome.startswith("refused:") and "declares more bytes of weights than the file can hold" in outcome
    assert peak < 500


def test_a_keras_file_declaring_a_huge_layer_is_refused_before_it_is_built(tmp_path):
    import json
    import zipfile
    model = mk.Sequential([mk.Input(shape=(4,)), mk.layers.Dense(3)], seed=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["units"] = 80_000_000
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "huge.keras", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    outcome, peak = _peak_rss_of_loading(tmp_path / "huge.keras")
    assert outcome.startswith("refused:") and "bytes of weights" in outcome and peak < 500


def test_a_committed_string_datatype_is_refused_before_it_is_read(tmp_path):
    model, path = _saved(tmp_path)
    with h5py.File(path, "a") as f:
        text = f.attrs["model_config"]
        f["shared_type"] = h5py.string_dtype()  # a named (committed) datatype the attribute refers to
        del f.attrs["model_config"]
        f.attrs.create("model_config", text, dtype=f["shared_type"])
    with pytest.raises(ModelFileError, match="'model_config' has a committed"):
        mk.load_model(path)


@pytest.mark.parametrize("where, key", [("/", "format_version"), ("optimizer", "iterations")])
def test_a_string_where_a_number_is_stored_is_refused_before_it_is_read(tmp_path, where, key):
    model, path = _saved(tmp_path)
    with h5py.File(path, "a") as f:
        f[where].attrs[key] = "1" * 100
    with pytest.raises(ModelFileError, match=f"{key}' is a variable-length string where a minikeras file stores"):
        mk.load_model(path)


def test_a_valid_file_with_a_user_block_loads(tmp_path):
    model, path = _saved(tmp_path)
    with h5py.File(path) as source, h5py.File(tmp_path / "ub.h5", "w", userblock_size=512) as target:
        for key, value in source.attrs.items():
            target.attrs[key] = value
        for name in source:
            source.copy(source[name], target, name)
    loaded = mk.load_model(tmp_path / "ub.h5")
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_heap_collection_that_would_make_hdf5_loop_is_refused(tmp_path):
    """Found by the long fuzz profile: the free-space object of a global heap collection turned
    into an object of size 0 followed by a free-space header of size 0; HDF5 loads the collection
    in an endless loop. The heap check walks the collection as HDF5 does and refuses it."""
    import struct
    model, path = _saved(tmp_path)
    raw = bytearray(path.read_bytes())
    address = raw.index(b"GCOL")
    end = address + struct.unpack_from("<Q", raw, address + 8)[0]
    position = address + 16
    while struct.unpack_from("<H", raw, position)[0] != 0:  # walk to the free-space object
        position += 16 + (struct.unpack_from("<Q", raw, position + 8)[0] + 7) // 8 * 8
    assert struct.unpack_from("<Q", raw, position + 8)[0] == end - position
    struct.pack_into("<HH4xQ", raw, position, 12288, 12334, 0)
    struct.pack_into("<HH4xQ", raw, position + 16, 0, 7, 0)
    path.write_bytes(bytes(raw))
    code = ("import minikeras as mk, sys\ntry:\n    mk.load_model(sys.argv[1])\n"
            "except mk.ModelFileError as e:\n    print(e)")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
    assert "the attribute 'format' is kept in a malformed heap collection" in result.stdout
