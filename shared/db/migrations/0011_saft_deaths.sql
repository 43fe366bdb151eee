-- A SAF-T import whose worker process dies is counted (issue 17: a crash cap), and taken over as
-- soon as its worker is known dead, not only when its lease runs out.

ALTER TABLE saft_imports
    ADD COLUMN lease_worker text,
    -- deliveries that found the import running under a worker that had died holding it
    ADD COLUMN deaths integer NOT NULL DEFAULT 0;
