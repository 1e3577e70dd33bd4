"""Compressed responses: pages, styles and scripts travel as zstd, brotli or
gzip, whichever the browser accepts (flask-compress), so a page with its CSS
and htmx stays far under 60 KB on a slow phone connection.
"""

from flask_compress import Compress

compress = Compress()


def init_app(app):
    # Static files are sent as streams; flask-compress leaves gzip out for
    # those by default, and gzip is all some browsers and proxies speak.
    # Limitation: a streamed static file is compressed again on every request
    # (flask-compress caches none); htmx costs 2 to 3 ms of CPU each time. A
    # reverse proxy in front should compress and cache /static itself.
    app.config.setdefault(
        "COMPRESS_ALGORITHM_STREAMING", ["zstd", "br", "gzip", "deflate"]
    )
    app.config["COMPRESS_REGISTER"] = False
    compress.init_app(app)
    app.after_request(compress_response)


def compress_response(response):
    """flask-compress only compresses 2xx answers; a form re-rendered with its
    errors (422) is as large as the form, so 4xx and 5xx pages go compressed
    too."""
    status = response.status_code
    if status < 400:
        return compress.after_request(response)
    response.status_code = 200
    try:
        response = compress.after_request(response)
    finally:
        response.status_code = status
    return response
