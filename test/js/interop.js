#!/usr/bin/env node
// interop.js: ANS-104 interop helper for aogo's Go tests (arweave/interop_test.go),
// built on arbundles 0.11.2.
//
//   node interop.js make-items <outdir> [rsa-jwk-file]
//       Signs data items with arbundles for signature types 1 (ArweaveSigner, with the
//       given JWK or a freshly generated one), 2 (ed25519, arbundles' Curve25519 signer)
//       and 3 (EthereumSigner), each with and without target, anchor, tags and data.
//       Writes every item as <outdir>/<name>.bin, a bundle of all of them made with
//       bundleAndSignData as <outdir>/bundle.bin, that bundle wrapped in a data item
//       signed by the RSA wallet as <outdir>/bundle-item.bin, the wallets as JWKs
//       (<outdir>/wallet-<type>.json) and <outdir>/manifest.json describing all of it.
//
//   node interop.js verify <file>...
//       Parses every file as a data item with arbundles and prints one JSON array of
//       verdicts: DataItem.verify plus the fields arbundles reads. When an item's tags
//       mark a bundle (Bundle-Format=binary, Bundle-Version=2.0.0) its data is also
//       checked with Bundle.verify ("bundle" member of the verdict).
//
//   node interop.js verify-bundle <file>...
//       Parses every file as a binary ANS-104 bundle and prints Bundle.verify verdicts.
//
// All binary values in the JSON are unpadded base64url; tags are {name, value} strings.
"use strict";

const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const arbundles = require("arbundles");

const { createData, bundleAndSignData, ArweaveSigner, EthereumSigner, Curve25519, DataItem, Bundle } = arbundles;

const b64url = (buf) => Buffer.from(buf).toString("base64url");
const fromB64url = (s) => Buffer.from(s, "base64url");

// Ed25519Signer: arbundles 0.11.2 exports no plain ed25519 signer (SolanaSigner takes a
// base58 key), so this wraps the exported Curve25519 base class (signature type 2).
class Ed25519Signer extends Curve25519 {
  constructor(seed, pub) {
    super(seed.toString("hex"), pub.toString("hex"));
    this.seed = Buffer.from(seed);
    this.pub = Buffer.from(pub);
  }
  get publicKey() {
    return this.pub;
  }
  get key() {
    return this.seed;
  }
}

function rsaSigner(jwkFile) {
  const jwk = jwkFile
    ? JSON.parse(fs.readFileSync(jwkFile, "utf8"))
    : crypto.generateKeyPairSync("rsa", { modulusLength: 4096, publicExponent: 65537 }).privateKey.export({ format: "jwk" });
  return { signer: new ArweaveSigner(jwk), jwk };
}

function ed25519Signer() {
  const jwk = crypto.generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
  return { signer: new Ed25519Signer(fromB64url(jwk.d), fromB64url(jwk.x)), jwk };
}

function ethereumSigner() {
  const jwk = crypto.generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey.export({ format: "jwk" });
  return { signer: new EthereumSigner(fromB64url(jwk.d).toString("hex")), jwk };
}

function describe(item) {
  return {
    id: item.id,
    signatureType: item.signatureType,
    signature: b64url(item.rawSignature),
    owner: b64url(item.rawOwner),
    target: b64url(item.rawTarget),
    anchor: b64url(item.rawAnchor),
    tags: item.tags,
    data: b64url(item.rawData),
    size: item.getRaw().byteLength,
  };
}

async function makeItems(outdir, jwkFile) {
  fs.mkdirSync(outdir, { recursive: true });
  const wallets = { arweave: rsaSigner(jwkFile), ed25519: ed25519Signer(), ethereum: ethereumSigner() };
  const manifest = { wallets: {}, items: [] };
  for (const [name, w] of Object.entries(wallets)) {
    const file = `wallet-${name}.json`;
    fs.writeFileSync(path.join(outdir, file), JSON.stringify(w.jwk, null, 2));
    manifest.wallets[name] = { file, signatureType: w.signer.signatureType, owner: b64url(w.signer.publicKey) };
  }

  const target = b64url(crypto.randomBytes(32));
  const anchor = "00000000000000000000000000000042"; // arbundles signs the UTF-8 bytes: 32 ASCII chars
  const tags = [
    { name: "Content-Type", value: "text/plain" },
    { name: "App-Name", value: "aogo-interop" },
    { name: "Unicode", value: "h\u00e9llo \u2713 \u{1F600}" },
    { name: "Empty-Value", value: "" },
  ];
  const data = Buffer.concat([Buffer.from("hello from arbundles\n"), crypto.randomBytes(1000)]);
  const variants = {
    bare: {},
    target: { opts: { target } },
    anchor: { opts: { anchor } },
    tags: { opts: { tags } },
    data: { data },
    all: { data, opts: { target, anchor, tags } },
  };

  const items = [];
  for (const [wname, w] of Object.entries(wallets)) {
    for (const [vname, v] of Object.entries(variants)) {
      const item = createData(v.data || "", w.signer, v.opts);
      await item.sign(w.signer);
      if (!(await item.isValid())) throw new Error(`arbundles made an invalid item ${wname}-${vname}`);
      const file = `${wname}-${vname}.bin`;
      fs.writeFileSync(path.join(outdir, file), item.getRaw());
      manifest.items.push({ name: `${wname}-${vname}`, file, ...describe(item) });
      items.push(item);
    }
  }

  const bundle = await bundleAndSignData(items, wallets.arweave.signer);
  if (!(await bundle.verify())) throw new Error("arbundles made an invalid bundle");
  fs.writeFileSync(path.join(outdir, "bundle.bin"), bundle.getRaw());
  manifest.bundle = { file: "bundle.bin", ids: bundle.getIds() };

  const wrapper = createData(bundle.getRaw(), wallets.arweave.signer, {
    tags: [
      { name: "Bundle-Format", value: "binary" },
      { name: "Bundle-Version", value: "2.0.0" },
    ],
  });
  await wrapper.sign(wallets.arweave.signer);
  fs.writeFileSync(path.join(outdir, "bundle-item.bin"), wrapper.getRaw());
  manifest.bundleItem = { file: "bundle-item.bin", id: wrapper.id };

  fs.writeFileSync(path.join(outdir, "manifest.json"), JSON.stringify(manifest, null, 2));
}

function isBundleTags(tags) {
  const get = (n) => (tags.find((t) => t.name === n) || {}).value;
  return get("Bundle-Format") === "binary" && get("Bundle-Version") === "2.0.0";
}

async function verifyBundleBytes(buf) {
  try {
    const bundle = new Bundle(buf);
    const valid = await bundle.verify();
    return { valid, ids: bundle.getIds(), items: bundle.items.map((it) => it.id) };
  } catch (e) {
    return { valid: false, error: String((e && e.message) || e) };
  }
}

async function verify(files) {
  const out = [];
  for (const file of files) {
    const buf = fs.readFileSync(file);
    const verdict = { file };
    try {
      verdict.valid = await DataItem.verify(buf);
      const item = new DataItem(buf);
      Object.assign(verdict, describe(item));
      if (isBundleTags(item.tags)) verdict.bundle = await verifyBundleBytes(item.rawData);
    } catch (e) {
      verdict.valid = false;
      verdict.error = String((e && e.message) || e);
    }
    out.push(verdict);
  }
  return out;
}

async function verifyBundles(files) {
  const out = [];
  for (const file of files) out.push({ file, ...(await verifyBundleBytes(fs.readFileSync(file))) });
  return out;
}

async function main(argv) {
  const [cmd, ...args] = argv;
  switch (cmd) {
    case "make-items":
      if (args.length < 1 || args.length > 2) break;
      await makeItems(args[0], args[1]);
      return;
    case "verify":
      if (args.length < 1) break;
      process.stdout.write(JSON.stringify(await verify(args)) + "\n");
      return;
    case "verify-bundle":
      if (args.length < 1) break;
      process.stdout.write(JSON.stringify(await verifyBundles(args)) + "\n");
      return;
  }
  process.stderr.write(
    "usage: interop.js make-items <outdir> [rsa-jwk-file] | verify <item-file>... | verify-bundle <bundle-file>...\n",
  );
  process.exit(2);
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`interop.js: ${(e && e.stack) || e}\n`);
  process.exit(1);
});
