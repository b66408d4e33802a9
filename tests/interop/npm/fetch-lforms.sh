#!/usr/bin/env bash
# LHC-Forms (lforms, NLM) for the browser round-trip test, from the npm registry.
# Only the prebuilt dist/ is used, which needs none of the package's dependencies; `npm ci`
# with lforms in package.json installs its whole Angular tree (more than 8 minutes here),
# so the one tarball is fetched with `npm pack` and checked against the pinned integrity.
set -euo pipefail
cd "$(dirname "$0")"
VERSION=40.1.3
INTEGRITY="sha512-WLruTm+BcVnafC0rSAQ3/cNqhxvclBUxyBG68aub/uha2NaK9H8ZZcEXTTuORuGzzCt0wa7fvhuieZtcDIdPzQ=="
if [ -f "vendor/lforms-$VERSION/dist/lforms/webcomponent/lhc-forms.js" ]; then
    exit 0
fi
mkdir -p vendor
npm pack "lforms@$VERSION" --pack-destination vendor --json --loglevel=error > vendor/pack.json
got=$(python3 -c 'import json,sys; print(json.load(open("vendor/pack.json"))[0]["integrity"])')
if [ "$got" != "$INTEGRITY" ]; then
    echo "lforms $VERSION integrity $got does not match the pinned $INTEGRITY" >&2
    exit 1
fi
rm -rf "vendor/lforms-$VERSION"
mkdir -p "vendor/lforms-$VERSION"
tar xzf "vendor/lforms-$VERSION.tgz" -C "vendor/lforms-$VERSION" --strip-components=1 \
    package/dist/lforms package/LICENSE.md package/package.json
rm -f "vendor/lforms-$VERSION.tgz" vendor/pack.json
