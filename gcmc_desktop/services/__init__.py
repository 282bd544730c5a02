"""Domain logic, Qt-free: the single gate for permissions, tenant scope, validation and audit."""
