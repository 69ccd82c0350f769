import { z } from "@hono/zod-openapi";
import { isCommonPassword } from "../../services/common-passwords.ts";
import {
  COMMON_PASSWORD_MESSAGE,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from "../../services/password-policy.ts";
import { Email, FullName, Username } from "../users/users.schemas.ts";

/**
 * 8..128 characters, no composition rules, common passwords refused (NIST SP 800-63B). The refinement
 * is async (the list is read from the static assets on first use): parse with `safeParseAsync`, as
 * the route validators do.
 */
export const NewPassword = z
  .string()
  .min(PASSWORD_MIN_LENGTH)
  .max(PASSWORD_MAX_LENGTH)
  .refine(async (p) => !(await isCommonPassword(p)), COMMON_PASSWORD_MESSAGE)
  .openapi({
    example: "correct horse battery staple",
    description: "8..128 characters; common passwords are refused.",
  });

export const RegisterBody = z
  .object({
    username: Username,
    email: Email,
    password: NewPassword,
    password_confirm: z.string().max(128).optional(),
    full_name: FullName.nullish(),
  })
  .strict()
  .refine((b) => b.password_confirm === undefined || b.password_confirm === b.password, {
    path: ["password_confirm"],
    message: "Passwords do not match",
  })
  .openapi("RegisterRequest");

/** Strings as form fields arrive; booleans accepted as JSON booleans or "true"/"false"/"on". */
const FormBoolean = z
  .union([z.boolean(), z.enum(["true", "false", "on", "1", "0"])])
  .transform((v) => v === true || v === "true" || v === "on" || v === "1");

export const LoginBody = z
  .object({
    username: z.string().min(1).max(255).optional().openapi({ description: "Username or e-mail." }),
    email: z.string().min(1).max(255).optional(),
    password: z.string().min(1).max(1024),
    remember_me: FormBoolean.optional(),
    // OAuth2 password-flow fields that Swagger UI sends; accepted and ignored.
    grant_type: z.literal("password").optional(),
    scope: z.string().optional(),
    client_id: z.string().optional(),
    client_secret: z.string().optional(),
  })
  .refine((b) => b.username || b.email, { path: ["username"], message: "username or email is required" })
  .openapi("LoginRequest");

export const TokenPairSchema = z
  .object({
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().openapi({ description: "Access token lifetime in seconds." }),
    refresh_expires_in: z.number().int().openapi({ description: "Refresh token lifetime in seconds." }),
  })
  .strict()
  .openapi("TokenPair");

export const RefreshBody = z
  .object({ refresh_token: z.string().min(1).max(512) })
  .strict()
  .openapi("RefreshRequest");

export const ChangePasswordBody = z
  .object({ current_password: z.string().min(1).max(1024), new_password: NewPassword })
  .strict()
  .openapi("ChangePasswordRequest", {
    example: { current_password: "my-current-passphrase-1", new_password: "a-new-long-passphrase-7" },
  });

export const MessageSchema = z.object({ detail: z.string() }).strict().openapi("Message");

/** A published key: public members only (a private member can never appear here). */
export const PublicJwkSchema = z
  .object({
    kty: z.enum(["OKP", "EC"]),
    crv: z.string().optional(),
    x: z.string().optional(),
    y: z.string().optional(),
    n: z.string().optional(),
    e: z.string().optional(),
    kid: z.string(),
    alg: z.string(),
    use: z.literal("sig").optional(),
  })
  .strict()
  .openapi("PublicJwk");

export const JwksSchema = z
  .object({ keys: z.array(PublicJwkSchema) })
  .strict()
  .openapi("JWKS", { description: "JSON Web Key Set (RFC 7517) of public keys only." });

/** A one-time token from an e-mail link (base64url, 43 characters when issued by this API). */
export const OneTimeToken = z
  .string()
  .min(1)
  .max(512)
  .openapi({ example: "q3Jx0c8mH7pQ2nB5vW9kL1sD4fG6hJ8aZ0xC2vB4nM6" });

export const VerifyEmailBody = z
  .object({ token: OneTimeToken })
  .strict()
  .openapi("VerifyEmailRequest", { example: { token: "q3Jx0c8mH7pQ2nB5vW9kL1sD4fG6hJ8aZ0xC2vB4nM6" } });

export const VerifyEmailParams = z.object({
  token: OneTimeToken.openapi({ param: { name: "token", in: "path" } }),
});

export const PasswordResetRequestBody = z
  .object({ email: Email })
  .strict()
  .openapi("PasswordResetRequest", { example: { email: "jane@example.com" } });

export const PasswordResetConfirmBody = z
  .object({ token: OneTimeToken, new_password: NewPassword })
  .strict()
  .openapi("PasswordResetConfirmRequest", {
    example: {
      token: "q3Jx0c8mH7pQ2nB5vW9kL1sD4fG6hJ8aZ0xC2vB4nM6",
      new_password: "a-new-long-passphrase-7",
    },
  });
