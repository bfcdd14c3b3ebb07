-- Seed data for the acceptance suite (dockyard.setup_sql): fixed values, so reads are deterministic.
CREATE TABLE public.users (
  id integer PRIMARY KEY,
  name text,
  email text NOT NULL,
  active boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL
);
INSERT INTO public.users (id, name, email, active, updated_at)
SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'user ' || i END, 'user' || i || '@example.com', i % 3 <> 0,
       timestamptz '2024-01-01 00:00:00+00' + (i || ' hours')::interval
FROM generate_series(1, 40) AS i;

CREATE TABLE public.orders (
  id bigint PRIMARY KEY,
  user_id integer NOT NULL REFERENCES public.users (id),
  amount numeric(12, 2) NOT NULL,
  note text,
  created_at timestamptz NOT NULL
);
INSERT INTO public.orders (id, user_id, amount, note, created_at)
SELECT i, 1 + i % 40, (i * 12.5)::numeric(12, 2), CASE WHEN i % 5 = 0 THEN 'gift' END,
       timestamptz '2024-02-01 00:00:00+00' + (i || ' minutes')::interval
FROM generate_series(1, 60) AS i;
