import { z } from "@hono/zod-openapi";
import { int32 } from "../../lib/fields.ts";
import { JWKS_MAX_KEYS } from "../../lib/jwk.ts";
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
  .openapi("RegisterRequest", {
    example: {
      username: "jane_doe",
      email: "jane@example.com",
      password: "correct horse battery staple",
      full_name: "Jane Doe",
    },
  });

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
    // OAuth2 password-flow fields that Swagger UI sends; accepted (bounded) and ignored.
    grant_type: z.literal("password").optional(),
    scope: z.string().max(1024).optional(),
    client_id: z.string().max(255).optional(),
    client_secret: z.string().max(1024).optional(),
  })
  .refine((b) => b.username || b.email, { path: ["username"], message: "username or email is required" })
  .openapi("LoginRequest", { example: { username: "jane_doe", password: "correct horse battery staple" } });

/** 256 random bits, base64url without padding: exactly 43 characters. */
const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const TokenPairSchema = z
  .object({
    access_token: z
      .string()
      .max(4096)
      .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
      .openapi({ description: "A signed JWT (JWS compact serialization)." }),
    refresh_token: z
      .string()
      .max(43)
      .regex(REFRESH_TOKEN_PATTERN)
      .openapi({ description: "Opaque; single use (each refresh returns a new one)." }),
    token_type: z.literal("Bearer"),
    expires_in: int32(1).openapi({ description: "Access token lifetime in seconds." }),
    refresh_expires_in: int32(1).openapi({ description: "Refresh token lifetime in seconds." }),
  })
  .strict()
  .openapi("TokenPair", {
    example: {
      access_token:
        "eyJhbGciOiJIUzI1NiIsImtpZCI6ImhzLTNxOVoiLCJ0eXAiOiJKV1QifQ.eyJzaWQiOiIzZjJiOGMxZSIsInJvbGUiOiJ1c2VyIn0.c2lnbmF0dXJl",
      refresh_token: "q3Jx0c8mH7pQ2nB5vW9kL1sD4fG6hJ8aZ0xC2vB4nM6",
      token_type: "Bearer",
      expires_in: 3600,
      refresh_expires_in: 604800,
    },
  });

export const RefreshBody = z
  .object({ refresh_token: z.string().min(1).max(512) })
  .strict()
  .openapi("RefreshRequest", { example: { refresh_token: "q3Jx0c8mH7pQ2nB5vW9kL1sD4fG6hJ8aZ0xC2vB4nM6" } });

export const ChangePasswordBody = z
  .object({ current_password: z.string().min(1).max(1024), new_password: NewPassword })
  .strict()
  .openapi("ChangePasswordRequest", {
    example: { current_password: "my-current-passphrase-1", new_password: "a-new-long-passphrase-7" },
  });

export const MessageSchema = z
  .object({ detail: z.string().max(200) })
  .strict()
  .openapi("Message", { example: { detail: "Password changed." } });

/** A 32-byte coordinate in base64url (the only key sizes src/lib/jwk.ts accepts). */
const Coordinate = z
  .string()
  .max(43)
  .regex(/^[A-Za-z0-9_-]{43}$/);

/**
 * A published key: public members only (a private member can never appear here). Only Ed25519
 * (EdDSA) and P-256 (ES256) keys are accepted (src/lib/jwk.ts), so there are no RSA members.
 */
export const PublicJwkSchema = z
  .object({
    kty: z.enum(["OKP", "EC"]),
    crv: z.enum(["Ed25519", "P-256"]).optional(),
    x: Coordinate.optional(),
    y: Coordinate.optional(),
    kid: z.string().max(256),
    alg: z.enum(["EdDSA", "ES256"]),
    use: z.literal("sig").optional(),
  })
  .strict()
  .openapi("PublicJwk");

export const JwksSchema = z
  .object({ keys: z.array(PublicJwkSchema).max(JWKS_MAX_KEYS) })
  .strict()
  .openapi("JWKS", {
    description: "JSON Web Key Set (RFC 7517) of public keys only.",
    example: {
      keys: [
        {
          kty: "OKP",
          crv: "Ed25519",
          x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
          kid: "ed-2025-01",
          alg: "EdDSA",
          use: "sig",
        },
      ],
    },
  });

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
