CREATE TABLE `store_moved` (
	`id` integer PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`port` integer NOT NULL,
	`database` text NOT NULL,
	`moved_at` integer NOT NULL
);
