/**
 * The plugin side of the handshake (docs/plugin-handshake.md, "The handshake line"): picking
 * the contract version and rendering the one JSON line written to stdout. Pure.
 */

/** Contract versions this SDK serves, newest first. */
export const SUPPORTED_CONTRACT_VERSIONS: readonly string[] = ['v1'];

/** Handshake format version; always 1. */
export const HANDSHAKE_FORMAT = 1;

/** The fields of the handshake line, as the doc names them. */
export interface HandshakeLine {
  readonly ferry_plugin: number;
  readonly contract_version: string;
  readonly network: 'unix' | 'tcp';
  readonly address: string;
  readonly pid: number;
}

/**
 * The first offered version the SDK speaks. When it speaks none of them it answers with its own
 * newest version, so the host refuses the plugin with a message naming both sides.
 */
export function chooseContractVersion(offered: readonly string[], supported: readonly string[] = SUPPORTED_CONTRACT_VERSIONS): { version: string; matched: boolean } {
  const version = offered.find((v) => supported.includes(v));
  if (version !== undefined) return { version, matched: true };
  const own = supported[0];
  if (own === undefined) throw new Error('chooseContractVersion: the SDK supports no contract version');
  return { version: own, matched: false };
}

/** The handshake line, newline included. */
export function renderHandshakeLine(fields: { contractVersion: string; address: string; pid: number; network?: 'unix' | 'tcp' }): string {
  const line: HandshakeLine = {
    ferry_plugin: HANDSHAKE_FORMAT,
    contract_version: fields.contractVersion,
    network: fields.network ?? 'unix',
    address: fields.address,
    pid: fields.pid,
  };
  return `${JSON.stringify(line)}\n`;
}
