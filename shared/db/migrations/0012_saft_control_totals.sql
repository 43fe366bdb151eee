-- A SAF-T import keeps the control totals its file(s) declared and that the import proved
-- (GeneralLedgerEntries' TotalDebit and TotalCredit, summed over a split set's parts), so the
-- organization's screen can show them beside the file (issue 17).

ALTER TABLE saft_imports
    ADD COLUMN total_debit numeric(20, 2),
    ADD COLUMN total_credit numeric(20, 2);
