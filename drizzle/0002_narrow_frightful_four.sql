ALTER TABLE `rate_buckets` ADD `next_at` real DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rate_buckets` DROP COLUMN `tokens`;--> statement-breakpoint
ALTER TABLE `rate_buckets` DROP COLUMN `updated_at`;