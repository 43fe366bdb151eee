-- A chunk belongs to the company its organization synchronized when it was planned; a chunk
-- whose company is no longer the organization's is never written (issue 16: no mixed companies).

ALTER TABLE chunks ADD COLUMN company_id bigint;

UPDATE chunks AS c SET company_id = o.company_id
FROM organizations AS o WHERE o.id = c.org_id;

-- Every way a chunk is planned records the company, under a key-share lock on the organization:
-- a company change (which takes the organization FOR UPDATE) waits for it, or it for the change.
CREATE FUNCTION chunks_company_of_org() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT o.company_id INTO NEW.company_id
    FROM organizations AS o WHERE o.id = NEW.org_id FOR KEY SHARE;
    RETURN NEW;
END;
$$;

CREATE TRIGGER chunks_company BEFORE INSERT ON chunks
FOR EACH ROW EXECUTE FUNCTION chunks_company_of_org();
