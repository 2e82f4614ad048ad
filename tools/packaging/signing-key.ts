// The OpenPGP key that signs the repositories. A release passes its own
// GnuPG home in NETEVD_SIGNING_GNUPGHOME; otherwise the build makes a
// passphrase-less project key in dist/repo-key/ (kept out of dist/repo/, which
// is what gets uploaded) and reuses it on the next build.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./nfpm-config";

export interface SigningKey {
  /** GNUPGHOME holding the secret key. */
  home: string;
  fingerprint: string;
  /** Runs gpg with this home, in batch mode; returns stdout. */
  gpg(args: string[], input?: string | Buffer): Buffer;
  /** Stops the gpg-agent the signing started (no process outlives the build). */
  close(): void;
}

const UID = "netevd packages <netevd@lists.invalid>";

function secretFingerprint(home: string): string | undefined {
  const out = execFileSync("gpg", ["--homedir", home, "--batch", "--with-colons", "--list-secret-keys"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return /^fpr:+([0-9A-F]{40}):/m.exec(out)?.[1];
}

export function signingKey(): SigningKey {
  const home = process.env.NETEVD_SIGNING_GNUPGHOME ?? join(ROOT, "dist", "repo-key");
  mkdirSync(home, { recursive: true });
  chmodSync(home, 0o700);
  let fingerprint = secretFingerprint(home);
  if (!fingerprint) {
    // RSA rather than Ed25519: older rpm (RHEL 8) cannot check EdDSA signatures.
    execFileSync(
      "gpg",
      ["--homedir", home, "--batch", "--passphrase", "", "--quick-gen-key", UID, "rsa3072", "sign", "never"],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    fingerprint = secretFingerprint(home);
    if (!fingerprint) throw new Error(`gpg made no key in ${home}`);
  }
  const fpr = fingerprint;
  return {
    home,
    fingerprint: fpr,
    gpg: (args, input) =>
      execFileSync("gpg", ["--homedir", home, "--batch", "--yes", "--local-user", fpr, ...args], {
        input,
        stdio: [input === undefined ? "ignore" : "pipe", "pipe", "inherit"],
        maxBuffer: 64 << 20,
      }),
    close: () => {
      execFileSync("gpgconf", ["--homedir", home, "--kill", "all"], { stdio: "ignore" });
    },
  };
}
