# briefgen in a container: the package, its fonts and the reference brief's project folder.
#   docker build -t briefgen .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/reports:/srv/briefgen/reports" briefgen
#       builds the reference brief (both editions) into ./reports/xai-colossus/
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/srv/briefgen" briefgen build my-brief
#       the project in the current folder instead (data/, templates/; reports/ and var/ are made there)
# The command is `briefgen` (ENTRYPOINT): any of its commands and options follow the image name.
FROM python:3.11-slim-bookworm

# scripts/setup.sh is the one list of what a machine needs: the Debian packages (fonts, poppler) and the
# pinned Python requirements in .venv; the package itself goes into the same .venv.
WORKDIR /opt/briefgen
COPY . .
RUN bash scripts/setup.sh \
    && .venv/bin/pip install --no-deps --no-cache-dir --disable-pip-version-check . \
    && rm -rf /var/lib/apt/lists/* /root/.cache
ENV PATH=/opt/briefgen/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1

# The project folder: the reference brief, with its start-up caches made now (not on the first run).
WORKDIR /srv/briefgen
RUN cp -r /opt/briefgen/data /opt/briefgen/templates . \
    && briefgen cache \
    && mkdir -p reports \
    && chmod -R a+rwX reports var
USER nobody
ENTRYPOINT ["briefgen"]
CMD ["build", "xai-colossus"]
