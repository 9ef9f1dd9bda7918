"""Leader/follower replication of builds: the leader's manifest, and a follower's copy of it.

A leader describes its live build in a manifest: build id, Whoosh generation, schema version,
document count, and every file of that generation (the table of contents and the segments it
names) with its size and SHA-256. A follower fetches the files it lacks into a staging
directory, hard-links the ones its own live build already has (Whoosh never changes a segment
file once written: a commit adds segments and a new table of contents, and keeps deletions in
the table of contents), verifies every size and checksum, opens the copy and runs a probe
search, and only then switches ``current`` with the store's atomic switch. The staging
directory outlives a killed follower; the next run keeps what was verified and resumes each
partial download with an HTTP range request.

Layout added to a follower's index directory::

    builds/.incoming/            the copy in progress (files, and ``<name>.part`` downloads)
    follow.json                  the follower's last check: leader, lag, last error

Modules: :mod:`.manifest` (the leader's side), :mod:`.client` (the follower's HTTP client of
it), :mod:`.copying` (the verified copy and switch), :mod:`.follow` (one round of following),
:mod:`.health` (``follow.json`` and the health /healthz reports).
"""
