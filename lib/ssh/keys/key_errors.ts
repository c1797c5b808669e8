// Typed errors for loading private keys, so callers (auth, tests) can branch on the cause:
// a malformed file, a missing passphrase, or a wrong one.

/** The key file is not a key we can read: bad encoding, truncated, unsupported type or cipher. */
export class KeyFormatError extends Error {
  override name = "KeyFormatError";
}

/** The key is encrypted and no passphrase was given. */
export class PassphraseRequiredError extends KeyFormatError {
  override name = "PassphraseRequiredError";
  constructor() {
    super("passphrase required to decrypt private key");
  }
}

/** The passphrase did not decrypt the key (check-ints differ or the AEAD tag failed). */
export class IncorrectPassphraseError extends KeyFormatError {
  override name = "IncorrectPassphraseError";
  constructor() {
    // OpenSSH's wording (ssh_err SSH_ERR_KEY_WRONG_PASSPHRASE).
    super("incorrect passphrase supplied to decrypt private key");
  }
}
