-- Counter appointments: one row per booking, and per slot the places taken. A booking
-- locks its slot's row, so concurrent bookings of one slot on any replica are taken one
-- at a time and never beyond the capacity.
CREATE TABLE bookings (
	id  text PRIMARY KEY,
	rec jsonb NOT NULL
);
CREATE TABLE slot_counts (
	hall  text NOT NULL,
	item  text NOT NULL,
	slot  text NOT NULL,
	taken int NOT NULL CHECK (taken >= 0),
	PRIMARY KEY (hall, item, slot)
);
