/**
 * E-mail templates: a subject, a plain-text body and an HTML body each, every link built from
 * APP_URL. Rendered before the database write, so the outbox stores the finished message (and the
 * one-time token itself is never stored anywhere but inside that message).
 */
import type { RenderedEmail } from "../../db/schema/email.ts";

/** Templates by name (the outbox row's `template`). */
export type EmailTemplate = "verify_email" | "reset_password";

const base = (appUrl: string) => appUrl.replace(/\/$/, "");

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

const html = (paragraphs: string[], link: { href: string; label: string }) =>
  `<!doctype html><html><body>${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("")}<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p></body></html>`;

/** The verification link: the API's own GET /api/v1/auth/verify/{token}. */
export const verifyEmailLink = (appUrl: string, token: string) =>
  `${base(appUrl)}/api/v1/auth/verify/${encodeURIComponent(token)}`;

/**
 * The reset link: a front-end page at /reset-password that posts the token to
 * /api/v1/auth/password-reset/confirm. The token is in the fragment, which browsers never send to
 * a server, so it stays out of access logs and Referer headers.
 */
export const resetPasswordLink = (appUrl: string, token: string) =>
  `${base(appUrl)}/reset-password#token=${encodeURIComponent(token)}`;

/** "Confirm your e-mail address" with the verification link (valid 24 hours). */
export function verifyEmailMessage(appUrl: string, token: string): RenderedEmail {
  const link = verifyEmailLink(appUrl, token);
  const lines = [
    "Please confirm that this is your e-mail address by opening the link below.",
    "The link works once and expires in 24 hours. If you did not ask for this, ignore this message.",
  ];
  return {
    subject: "Confirm your e-mail address",
    text: `${lines[0]}\n\n${link}\n\n${lines[1]}\n`,
    html: html(lines, { href: link, label: "Confirm my e-mail address" }),
  };
}

/** "Reset your password" with the reset link (valid 1 hour). */
export function resetPasswordMessage(appUrl: string, token: string): RenderedEmail {
  const link = resetPasswordLink(appUrl, token);
  const lines = [
    "Someone asked to reset the password of the account registered with this address. To choose a new password, open the link below.",
    `The link works once and expires in 1 hour; the token in it is: ${token}. If you did not ask for this, ignore this message: your password stays as it is.`,
  ];
  return {
    subject: "Reset your password",
    text: `${lines[0]}\n\n${link}\n\n${lines[1]}\n`,
    html: html(lines, { href: link, label: "Choose a new password" }),
  };
}
