// Secrets in URLs (common, every plane): a URL with a password (`redis://:secret@host`) is shown with
// the password replaced, so it can be printed in summaries and JSON without leaking it.

/** `url` with its password (and a user's password) replaced by `***`; an unparsable URL is hidden whole. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '(a URL that is not shown)';
  }
  if (u.password === '' && u.username === '') return url;
  if (u.password !== '') u.password = '***';
  else u.username = '***'; // redis://secret@host: the lone user part is Redis's password
  return u.toString();
}
