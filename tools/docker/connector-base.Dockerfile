# dockyard/connector-base: what every connector image shares. A venv at /opt/connector holding dockyard-runtime and
# its dependencies (airbyte-cdk & co), and the unprivileged `airbyte` user (uid/gid 10001).
#
# Built by tools/dockyard_tools/base_image.py from a staging directory holding this file and wheels prepared on the
# host (wheels/deps: third-party, wheels/project: dockyard-runtime), so the build needs no network. The wheels stay in
# the build stages and never reach the image.
ARG BASE_IMAGE=dockyard/python-base:3.11-bookworm

# Third-party dependencies in a stage of their own: they change only with constraints.txt, so an edit to the runtime
# reuses this stage from Docker's layer cache and reinstalls one small wheel.
FROM ${BASE_IMAGE} AS deps
COPY wheels/deps/ /wheels/deps/
RUN python3 -m venv /opt/connector \
 && /opt/connector/bin/pip install --no-index --no-deps --no-cache-dir --disable-pip-version-check --progress-bar off \
      /wheels/deps/*.whl

# The runtime on top; /delta receives only the files its install added.
FROM deps AS project
COPY wheels/project/ /wheels/project/
RUN cd / && find opt/connector ! -type d | sort >/tmp/files-before \
 && /opt/connector/bin/pip install --no-index --no-deps --no-cache-dir --disable-pip-version-check --progress-bar off \
      /wheels/project/*.whl \
 && /opt/connector/bin/pip check --disable-pip-version-check \
 && cd / && find opt/connector ! -type d | sort | comm -13 /tmp/files-before - >/tmp/files-added \
 && mkdir /delta && tar -cf - -T /tmp/files-added | tar -xf - -C /delta

FROM ${BASE_IMAGE}
# --no-log-init: a high uid would otherwise grow a huge sparse /var/log/lastlog in the layer.
RUN getent passwd 10001 >/dev/null \
 || useradd --no-log-init --uid 10001 --user-group --create-home --shell /usr/sbin/nologin airbyte
COPY --from=deps /opt/connector /opt/connector
COPY --from=project /delta/ /
ENV PATH=/opt/connector/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /home/airbyte
USER 10001:10001
