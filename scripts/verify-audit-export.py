#!/usr/bin/env python3
"""Verify a FinKernel audit export outside the kernel (docs/audit.md).

usage: verify-audit-export.py EXPORT_DIR

Recomputes the SHA-256 of every record's canonical form, checks that the
sequence numbers run 1..n without gaps and that each record chains to its
predecessor, and checks every checkpoint: its Ed25519 signature (with the
`openssl` command line tool and the exported public key) and that it matches
the chain (a checkpoint beyond the last record means the tail was cut).

Only the Python standard library and the openssl CLI are needed, so an
auditor can run it without trusting any FinKernel code. Exit status 0 when
everything verifies, 1 when a problem is found (the first one is printed),
2 on usage errors.
"""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

RECORD_FORMAT = "fk-audit-v1"
CHECKPOINT_FORMAT = "fk-audit-checkpoint-v1"
GENESIS = "0" * 64
# The export writes each line by concatenation so the canonical bytes appear
# verbatim after "record":, and can be hashed without re-serializing.
LINE = re.compile(rb'^\{"hash":"([0-9a-f]{64})","record":(\[.*\])\}$')


def canonical(value):
    """The kernel's canonical JSON: compact, keys sorted, UTF-8 unescaped."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode("utf-8")


class Problem(Exception):
    pass


def read_records(directory):
    records = []
    with open(os.path.join(directory, "records.jsonl"), "rb") as f:
        for number, line in enumerate(f, start=1):
            match = LINE.match(line.rstrip(b"\n"))
            if not match:
                raise Problem(f"records.jsonl line {number}: not an export record line")
            stored_hash, raw = match.group(1).decode(), match.group(2)
            try:
                fields = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise Problem(f"records.jsonl line {number}: record is not valid JSON")
            if canonical(fields) != raw:
                raise Problem(f"records.jsonl line {number}: record is not in canonical form")
            if (len(fields) != 13 or fields[0] != RECORD_FORMAT
                    or not isinstance(fields[2], int)):
                raise Problem(f"records.jsonl line {number}: not a {RECORD_FORMAT} record")
            records.append((fields, raw, stored_hash))
    return records


def verify_chain(records, tenant):
    """Returns {seq: hash}; raises Problem naming the first bad seq."""
    hashes = {0: GENESIS}
    previous = GENESIS
    for index, (fields, raw, stored_hash) in enumerate(records):
        expected = index + 1
        seq = fields[2]
        if fields[1] != tenant:
            raise Problem(f"seq {seq}: belongs to tenant {fields[1]}, not {tenant}")
        if seq > expected:
            raise Problem(f"seq {expected}: record is missing (next is {seq})")
        if seq != expected:
            raise Problem(f"seq {expected}: out of order (found seq {seq})")
        if hashlib.sha256(raw).hexdigest() != stored_hash:
            raise Problem(f"seq {seq}: content does not match its hash (altered)")
        if fields[12] != previous:
            raise Problem(f"seq {seq}: does not chain to its predecessor (inserted or reordered)")
        hashes[seq] = stored_hash
        previous = stored_hash
    return hashes


def openssl_verify(public_key, message, signature):
    with tempfile.TemporaryDirectory() as scratch:
        message_file = os.path.join(scratch, "message")
        signature_file = os.path.join(scratch, "signature")
        with open(message_file, "wb") as f:
            f.write(message)
        with open(signature_file, "wb") as f:
            f.write(signature)
        result = subprocess.run(
            ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", public_key, "-rawin",
             "-in", message_file, "-sigfile", signature_file],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return result.returncode == 0


def verify_checkpoints(directory, tenant, hashes, last_seq):
    count = 0
    path = os.path.join(directory, "checkpoints.jsonl")
    if not os.path.exists(path):
        return count
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            c = json.loads(line)
            seq = c["seq"]
            key_id = c["key_id"]
            if not re.fullmatch(r"k-[A-Za-z0-9_-]{1,64}", key_id):
                raise Problem(f"checkpoints.jsonl line {number}: invalid key id")
            public_key = os.path.join(directory, "keys", key_id + ".pem")
            if not os.path.exists(public_key):
                raise Problem(f"seq {seq}: checkpoint signed by unknown key {key_id}")
            message = canonical([CHECKPOINT_FORMAT, c["tenant_id"], seq, c["hash"],
                                 c["signed_at"], key_id])
            signature = base64.urlsafe_b64decode(c["signature"] + "=" * (-len(c["signature"]) % 4))
            if c["tenant_id"] != tenant or not openssl_verify(public_key, message, signature):
                raise Problem(f"seq {seq}: checkpoint signature does not verify")
            if seq > last_seq:
                raise Problem(f"seq {last_seq + 1}: records missing: a checkpoint vouches for "
                              f"seq {seq} but the chain ends at {last_seq} (truncated)")
            if hashes[seq] != c["hash"]:
                raise Problem(f"seq {seq}: differs from the signed checkpoint (chain rewritten)")
            count += 1
    return count


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    directory = argv[1]
    try:
        with open(os.path.join(directory, "manifest.json"), "rb") as f:
            manifest = json.load(f)
        tenant = manifest["tenant_id"]
        records = read_records(directory)
        hashes = verify_chain(records, tenant)
        last_seq = len(records)
        checkpoints = verify_checkpoints(directory, tenant, hashes, last_seq)
    except Problem as problem:
        print(f"FAILED: {problem}")
        return 1
    except (OSError, ValueError, KeyError) as error:
        print(f"FAILED: unreadable export: {error}")
        return 1
    print(f"OK: tenant {tenant}: {last_seq} records, {checkpoints} checkpoints verified")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
