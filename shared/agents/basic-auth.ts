/**
 * Pyroscope clients authenticate with HTTP Basic (Grafana Cloud: user = stack id, password = token)
 * or a Bearer token. A Basic password is read as the API key, so `basic_auth_password` in the
 * client config works like a Bearer key; the user name is not used.
 */
export function bearerFromBasic(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  const encoded = headers.authorization?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i)?.[1];
  if (encoded === undefined) return headers;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  // An empty password leaves a Bearer header without a key, which the authenticator refuses (401).
  return { ...headers, authorization: `Bearer ${password}` };
}
