# The demo issuer's Python: its packages are installed when the image is built, so that
# `docker compose up` starts offline and at once. The code is mounted from tests/ at run time.
# The versions are tests/requirements.txt's (tests/envoy_config/test_compose_services.py checks it).
FROM python:3.12-slim
RUN pip install --quiet --no-cache-dir cryptography==44.0.0 PyJWT==2.10.1
