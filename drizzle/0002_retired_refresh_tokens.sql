CREATE TABLE "retired_refresh_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"session_id" uuid NOT NULL,
	"retired_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "sessions_retired_refresh_hashes_idx";--> statement-breakpoint
ALTER TABLE "retired_refresh_tokens" ADD CONSTRAINT "retired_refresh_tokens_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "retired_refresh_tokens_session_id_idx" ON "retired_refresh_tokens" USING btree ("session_id");--> statement-breakpoint
-- Keep the history sessions already had, so their old tokens stay detectable as replays.
INSERT INTO "retired_refresh_tokens" ("token_hash", "session_id")
SELECT DISTINCT h, s."id" FROM "sessions" s, unnest(s."retired_refresh_hashes") AS h
ON CONFLICT DO NOTHING;--> statement-breakpoint
ALTER TABLE "sessions" DROP COLUMN "retired_refresh_hashes";