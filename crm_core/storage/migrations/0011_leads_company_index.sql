-- Who may see a company: the holders of leads linked to it (crm_core/access.py) are looked up
-- by company on every company route; without an index that scans every lead.
CREATE INDEX leads_company ON leads (company_id);
