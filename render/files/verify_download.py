"""Check a downloaded snapshot against the hub's own listing, file by file.

Run by the download Job after `hf download` / `modelscope download`: argv is the source kind, the repository,
the revision and the directory. Every listed file must exist with the listed size and the listed sha256
(Hugging Face LFS files, ModelScope files that carry one) or git blob id (Hugging Face's small files).
A file that fails is deleted, with the Hugging Face tool's record of it, so the next run of the tool
fetches it again; exit 3 then. `hf download` checks only sizes and trusts a file its record names.
"""

import hashlib
import os
import sys
from concurrent.futures import ThreadPoolExecutor

BLOCK = 8 << 20


def hf_listing(repo, revision):
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoFile

    for f in HfApi().list_repo_tree(repo, revision=revision, recursive=True):
        if isinstance(f, RepoFile):
            yield f.path, f.size, (f.lfs.sha256 if f.lfs else None), (None if f.lfs else f.blob_id)


def modelscope_listing(repo, revision):
    from modelscope_hub import HubApi

    api = HubApi()
    api = HubApi(endpoint=api.resolve_endpoint_for_read(repo))
    for f in api.list_repo_files(repo, "model", revision=revision, recursive=True):
        if not f.is_dir and f.path:
            yield f.path, f.size, (f.sha256 or None), None


def digest(path, size, sha256, git_blob):
    if sha256:
        h = hashlib.sha256()
    else:
        h = hashlib.sha1()
        h.update(b"blob %d\0" % size)
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            h.update(block)
    return h.hexdigest() == (sha256 or git_blob)


def check(root, entry):
    name, size, sha256, git_blob = entry
    path = os.path.join(root, name)
    if not os.path.isfile(path):
        return name, "missing"
    if os.path.getsize(path) != size:
        return name, f"size {os.path.getsize(path)}, the hub lists {size}"
    if (sha256 or git_blob) and not digest(path, size, sha256, git_blob):
        return name, "sha256 differs from the hub's" if sha256 else "git blob id differs from the hub's"
    return name, None


def main():
    kind, repo, revision, root = sys.argv[1:5]
    listing = hf_listing if kind == "huggingface" else modelscope_listing
    entries = list(listing(repo, revision))
    workers = int(os.environ.get("VERIFY_WORKERS", "4"))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda e: check(root, e), entries))
    bad = [(name, why) for name, why in results if why]
    for name, why in bad:
        print(f"verify: {name}: {why}; removed, to be fetched again", flush=True)
        for stale in (os.path.join(root, name),
                      os.path.join(root, ".cache", "huggingface", "download", name + ".metadata")):
            if os.path.isfile(stale):
                os.remove(stale)
    print(f"verify: {len(entries) - len(bad)} of {len(entries)} files match the hub's listing", flush=True)
    sys.exit(3 if bad else 0)


if __name__ == "__main__":
    main()
