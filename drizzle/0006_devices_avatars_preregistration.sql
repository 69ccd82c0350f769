CREATE TABLE "pre_registrations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" varchar(255) NOT NULL,
	"source" varchar(100),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"converted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "pre_registrations_email_lower_key" ON "pre_registrations" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "pre_registrations_created_at_idx" ON "pre_registrations" USING btree ("created_at");