"""Import runs (导入记录): each import of enrolments or of payments made elsewhere, with its report."""
