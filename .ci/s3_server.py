"""An S3-compatible server on loopback for the object-store tests: moto's server, serving one
request at a time.

moto checks `If-None-Match: *` before it writes, in two steps; its stock server answers requests
on several threads, so two create-only writes of one key arriving together could both pass the
check. Served one at a time, the check and the write are one step, as on S3 and MinIO, and the
store's compare-and-swap is tested for real.

Usage: python3 .ci/s3_server.py PORT
"""

import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    port = int(sys.argv[1])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple("127.0.0.1", port, app, threaded=False, use_reloader=False)


if __name__ == "__main__":
    main()
