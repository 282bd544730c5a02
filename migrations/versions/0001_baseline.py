"""Baseline: exactly the web platform's 35 tables (platform_schema.json).

Revision ID: 0001_baseline
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("_id", sa.Text(), nullable=False),
        sa.Column("accountId", sa.Text(), nullable=False),
        sa.Column("providerId", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("accessToken", sa.Text(), nullable=True),
        sa.Column("refreshToken", sa.Text(), nullable=True),
        sa.Column("idToken", sa.Text(), nullable=True),
        sa.Column("accessTokenExpiresAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("refreshTokenExpiresAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("password", sa.Text(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("_id", name="account_pkey"),
    )
    op.create_index("account_accountId_idx", "account", ["accountId"], unique=False)
    op.create_index("account_providerId_idx", "account", ["providerId"], unique=False)
    op.create_index("account_userId_idx", "account", ["userId"], unique=False)
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("actorUserId", sa.Text(), nullable=True),
        sa.Column("clientId", sa.Integer(), nullable=True),
        sa.Column("entityType", sa.Text(), nullable=False),
        sa.Column("entityId", sa.Integer(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("changes", postgresql.JSONB(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("ipAddress", sa.Text(), nullable=True),
        sa.Column("userAgent", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="audit_logs_pkey"),
    )
    op.create_index("audit_logs_action_idx", "audit_logs", ["action"], unique=False)
    op.create_index("audit_logs_actorUserId_idx", "audit_logs", ["actorUserId"], unique=False)
    op.create_index("audit_logs_clientId_idx", "audit_logs", ["clientId"], unique=False)
    op.create_index("audit_logs_createdAt_idx", "audit_logs", ["createdAt"], unique=False)
    op.create_index("audit_logs_entityType_idx", "audit_logs", ["entityType"], unique=False)
    op.create_index(
        "audit_logs_tenantId_actorUserId_idx",
        "audit_logs",
        ["tenantId", "actorUserId"],
        unique=False,
    )
    op.create_index(
        "audit_logs_tenantId_createdAt_idx", "audit_logs", ["tenantId", "createdAt"], unique=False
    )
    op.create_index(
        "audit_logs_tenantId_entityType_idx", "audit_logs", ["tenantId", "entityType"], unique=False
    )
    op.create_index("audit_logs_tenantId_idx", "audit_logs", ["tenantId"], unique=False)
    op.create_table(
        "client_businesses",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("clientId", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("registrationNumber", sa.Text(), nullable=True),
        sa.Column("registrationType", sa.Text(), nullable=True),
        sa.Column("incorporationDate", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("sector", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="client_businesses_pkey"),
    )
    op.create_index(
        "client_businesses_clientId_idx", "client_businesses", ["clientId"], unique=False
    )
    op.create_index("client_businesses_status_idx", "client_businesses", ["status"], unique=False)
    op.create_index(
        "client_businesses_tenantId_clientId_idx",
        "client_businesses",
        ["tenantId", "clientId"],
        unique=False,
    )
    op.create_index(
        "client_businesses_tenantId_idx", "client_businesses", ["tenantId"], unique=False
    )
    op.create_table(
        "client_portal_access",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("clientId", sa.Integer(), nullable=False),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.PrimaryKeyConstraint("id", name="client_portal_access_pkey"),
    )
    op.create_index(
        "client_portal_access_tenantId_clientId_idx",
        "client_portal_access",
        ["tenantId", "clientId"],
        unique=False,
    )
    op.create_index(
        "client_portal_access_tenantId_userId_clientId_key",
        "client_portal_access",
        ["tenantId", "userId", "clientId"],
        unique=True,
    )
    op.create_index(
        "client_portal_access_tenantId_userId_idx",
        "client_portal_access",
        ["tenantId", "userId"],
        unique=False,
    )
    op.create_table(
        "client_tasks",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("clientId", sa.Integer(), nullable=False),
        sa.Column("serviceRequestId", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("dueDate", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("completedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="client_tasks_pkey"),
    )
    op.create_index("client_tasks_clientId_idx", "client_tasks", ["clientId"], unique=False)
    op.create_index("client_tasks_dueDate_idx", "client_tasks", ["dueDate"], unique=False)
    op.create_index(
        "client_tasks_serviceRequestId_idx", "client_tasks", ["serviceRequestId"], unique=False
    )
    op.create_index("client_tasks_status_idx", "client_tasks", ["status"], unique=False)
    op.create_index(
        "client_tasks_tenantId_clientId_idx", "client_tasks", ["tenantId", "clientId"], unique=False
    )
    op.create_index("client_tasks_tenantId_idx", "client_tasks", ["tenantId"], unique=False)
    op.create_index(
        "client_tasks_tenantId_status_idx", "client_tasks", ["tenantId", "status"], unique=False
    )
    op.create_table(
        "clients",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("tin", sa.Text(), nullable=True),
        sa.Column("nisNumber", sa.Text(), nullable=True),
        sa.Column("sector", sa.Text(), nullable=True),
        sa.Column("riskLevel", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="clients_pkey"),
    )
    op.create_index("clients_createdAt_idx", "clients", ["createdAt"], unique=False)
    op.create_index("clients_tenantId_idx", "clients", ["tenantId"], unique=False)
    op.create_index(
        "clients_tenantId_riskLevel_idx", "clients", ["tenantId", "riskLevel"], unique=False
    )
    op.create_index("clients_tenantId_sector_idx", "clients", ["tenantId", "sector"], unique=False)
    op.create_index("clients_tenantId_type_idx", "clients", ["tenantId", "type"], unique=False)
    op.create_table(
        "compliance_rule_sets",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("appliesTo", postgresql.JSONB(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="compliance_rule_sets_pkey"),
    )
    op.create_index(
        "compliance_rule_sets_tenantId_active_idx",
        "compliance_rule_sets",
        ["tenantId", "active"],
        unique=False,
    )
    op.create_index(
        "compliance_rule_sets_tenantId_idx", "compliance_rule_sets", ["tenantId"], unique=False
    )
    op.create_table(
        "compliance_rules",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("ruleSetId", sa.Integer(), nullable=False),
        sa.Column("ruleType", sa.Text(), nullable=False),
        sa.Column("condition", postgresql.JSONB(), nullable=True),
        sa.Column("targetId", sa.Integer(), nullable=True),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="compliance_rules_pkey"),
    )
    op.create_index(
        "compliance_rules_ruleSetId_idx", "compliance_rules", ["ruleSetId"], unique=False
    )
    op.create_index(
        "compliance_rules_ruleSetId_ruleType_idx",
        "compliance_rules",
        ["ruleSetId", "ruleType"],
        unique=False,
    )
    op.create_index("compliance_rules_ruleType_idx", "compliance_rules", ["ruleType"], unique=False)
    op.create_table(
        "compliance_scores",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("clientId", sa.Integer(), nullable=False),
        sa.Column("scoreValue", sa.Double(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("missingCount", sa.Integer(), nullable=False),
        sa.Column("expiringCount", sa.Integer(), nullable=False),
        sa.Column("overdueFilingsCount", sa.Integer(), nullable=False),
        sa.Column("lastCalculatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.Column("breakdown", postgresql.JSONB(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="compliance_scores_pkey"),
    )
    op.create_index(
        "compliance_scores_clientId_idx", "compliance_scores", ["clientId"], unique=False
    )
    op.create_index(
        "compliance_scores_lastCalculatedAt_idx",
        "compliance_scores",
        ["lastCalculatedAt"],
        unique=False,
    )
    op.create_index("compliance_scores_level_idx", "compliance_scores", ["level"], unique=False)
    op.create_index(
        "compliance_scores_scoreValue_idx", "compliance_scores", ["scoreValue"], unique=False
    )
    op.create_index(
        "compliance_scores_tenantId_clientId_key",
        "compliance_scores",
        ["tenantId", "clientId"],
        unique=True,
    )
    op.create_index(
        "compliance_scores_tenantId_idx", "compliance_scores", ["tenantId"], unique=False
    )
    op.create_index(
        "compliance_scores_tenantId_lastCalculatedAt_idx",
        "compliance_scores",
        ["tenantId", "lastCalculatedAt"],
        unique=False,
    )
    op.create_index(
        "compliance_scores_tenantId_level_idx",
        "compliance_scores",
        ["tenantId", "level"],
        unique=False,
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("clientId", sa.Integer(), nullable=True),
        sa.Column("serviceRequestId", sa.Integer(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="conversations_pkey"),
    )
    op.create_index("conversations_clientId_idx", "conversations", ["clientId"], unique=False)
    op.create_index("conversations_createdAt_idx", "conversations", ["createdAt"], unique=False)
    op.create_index(
        "conversations_serviceRequestId_idx", "conversations", ["serviceRequestId"], unique=False
    )
    op.create_index("conversations_tenantId_idx", "conversations", ["tenantId"], unique=False)
    op.create_table(
        "document_types",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("authority", sa.Text(), nullable=True),
        sa.Column("metadata", postgresql.JSONB(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="document_types_pkey"),
    )
    op.create_index("document_types_category_idx", "document_types", ["category"], unique=False)
    op.create_index("document_types_tenantId_idx", "document_types", ["tenantId"], unique=False)
    op.create_index(
        "document_types_tenantId_name_category_key",
        "document_types",
        ["tenantId", "name", "category"],
        unique=True,
    )
    op.create_table(
        "document_versions",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("documentId", sa.Integer(), nullable=False),
        sa.Column("fileUrl", sa.Text(), nullable=False),
        sa.Column("storageProvider", sa.Text(), nullable=False),
        sa.Column("fileSize", sa.Integer(), nullable=True),
        sa.Column("mimeType", sa.Text(), nullable=True),
        sa.Column("issueDate", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("expiryDate", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("issuingAuthority", sa.Text(), nullable=True),
        sa.Column("ocrText", sa.Text(), nullable=True),
        sa.Column("aiSummary", sa.Text(), nullable=True),
        sa.Column("metadata", postgresql.JSONB(), nullable=True),
        sa.Column("uploadedById", sa.Text(), nullable=True),
        sa.Column(
            "uploadedAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("isLatest", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.PrimaryKeyConstraint("id", name="document_versions_pkey"),
    )
    op.create_index(
        "document_versions_documentId_idx", "document_versions", ["documentId"], unique=False
    )
    op.create_index(
        "document_versions_documentId_isLatest_idx",
        "document_versions",
        ["documentId", "isLatest"],
        unique=False,
    )
    op.create_index(
        "document_versions_documentId_uploadedAt_idx",
        "document_versions",
        ["documentId", "uploadedAt"],
        unique=False,
    )
    op.create_index(
        "document_versions_expiryDate_idx", "document_versions", ["expiryDate"], unique=False
    )
    op.create_index(
        "document_versions_isLatest_idx", "document_versions", ["isLatest"], unique=False
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("clientId", sa.Integer(), nullable=False),
        sa.Column("clientBusinessId", sa.Integer(), nullable=True),
        sa.Column("documentTypeId", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("authority", sa.Text(), nullable=True),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("latestVersionId", sa.Integer(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="documents_pkey"),
    )
    op.create_index(
        "documents_clientBusinessId_idx", "documents", ["clientBusinessId"], unique=False
    )
    op.create_index("documents_clientId_idx", "documents", ["clientId"], unique=False)
    op.create_index(
        "documents_clientId_status_idx", "documents", ["clientId", "status"], unique=False
    )
    op.create_index("documents_createdAt_idx", "documents", ["createdAt"], unique=False)
    op.create_index("documents_documentTypeId_idx", "documents", ["documentTypeId"], unique=False)
    op.create_index("documents_latestVersionId_key", "documents", ["latestVersionId"], unique=True)
    op.create_index("documents_status_idx", "documents", ["status"], unique=False)
    op.create_index(
        "documents_tenantId_clientId_idx", "documents", ["tenantId", "clientId"], unique=False
    )
    op.create_index("documents_tenantId_idx", "documents", ["tenantId"], unique=False)
    op.create_index(
        "documents_tenantId_status_idx", "documents", ["tenantId", "status"], unique=False
    )
    op.create_table(
        "filing_documents",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("filingId", sa.Integer(), nullable=False),
        sa.Column("documentId", sa.Integer(), nullable=False),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.PrimaryKeyConstraint("id", name="filing_documents_pkey"),
    )
    op.create_index(
        "filing_documents_documentId_idx", "filing_documents", ["documentId"], unique=False
    )
    op.create_index(
        "filing_documents_filingId_documentId_key",
        "filing_documents",
        ["filingId", "documentId"],
        unique=True,
    )
    op.create_index("filing_documents_filingId_idx", "filing_documents", ["filingId"], unique=False)
    op.create_table(
        "filing_types",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("authority", sa.Text(), nullable=False),
        sa.Column("frequency", sa.Text(), nullable=False),
        sa.Column("defaultDueDay", sa.Integer(), nullable=True),
        sa.Column("defaultDueMonth", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="filing_types_pkey"),
    )
    op.create_index("filing_types_authority_idx", "filing_types", ["authority"], unique=False)
    op.create_index("filing_types_frequency_idx", "filing_types", ["frequency"], unique=False)
    op.create_index(
        "filing_types_tenantId_code_key", "filing_types", ["tenantId", "code"], unique=True
    )
    op.create_index("filing_types_tenantId_idx", "filing_types", ["tenantId"], unique=False)
    op.create_table(
        "filings",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("clientId", sa.Integer(), nullable=False),
        sa.Column("clientBusinessId", sa.Integer(), nullable=True),
        sa.Column("filingTypeId", sa.Integer(), nullable=False),
        sa.Column("periodStart", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("periodEnd", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("periodLabel", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("referenceNumber", sa.Text(), nullable=True),
        sa.Column("taxAmount", sa.Double(), nullable=True),
        sa.Column("penalties", sa.Double(), nullable=True),
        sa.Column("interest", sa.Double(), nullable=True),
        sa.Column("total", sa.Double(), nullable=True),
        sa.Column("submissionDate", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("approvalDate", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("internalNotes", sa.Text(), nullable=True),
        sa.Column("aiSummary", sa.Text(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="filings_pkey"),
    )
    op.create_index("filings_clientBusinessId_idx", "filings", ["clientBusinessId"], unique=False)
    op.create_index("filings_clientId_idx", "filings", ["clientId"], unique=False)
    op.create_index("filings_createdAt_idx", "filings", ["createdAt"], unique=False)
    op.create_index("filings_filingTypeId_idx", "filings", ["filingTypeId"], unique=False)
    op.create_index("filings_periodEnd_idx", "filings", ["periodEnd"], unique=False)
    op.create_index("filings_status_idx", "filings", ["status"], unique=False)
    op.create_index("filings_submissionDate_idx", "filings", ["submissionDate"], unique=False)
    op.create_index("filings_tenantId_idx", "filings", ["tenantId"], unique=False)
    op.create_index("filings_tenantId_status_idx", "filings", ["tenantId", "status"], unique=False)
    op.create_index(
        "filings_tenantId_status_periodEnd_idx",
        "filings",
        ["tenantId", "status", "periodEnd"],
        unique=False,
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("conversationId", sa.Integer(), nullable=False),
        sa.Column("authorId", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("readAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.PrimaryKeyConstraint("id", name="messages_pkey"),
    )
    op.create_index("messages_authorId_idx", "messages", ["authorId"], unique=False)
    op.create_index(
        "messages_conversationId_createdAt_idx",
        "messages",
        ["conversationId", "createdAt"],
        unique=False,
    )
    op.create_index("messages_conversationId_idx", "messages", ["conversationId"], unique=False)
    op.create_index(
        "messages_conversationId_readAt_idx", "messages", ["conversationId", "readAt"], unique=False
    )
    op.create_index("messages_createdAt_idx", "messages", ["createdAt"], unique=False)
    op.create_index("messages_tenantId_idx", "messages", ["tenantId"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("recipientUserId", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("channelStatus", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("metadata", postgresql.JSONB(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.PrimaryKeyConstraint("id", name="notifications_pkey"),
    )
    op.create_index(
        "notifications_channelStatus_idx", "notifications", ["channelStatus"], unique=False
    )
    op.create_index("notifications_createdAt_idx", "notifications", ["createdAt"], unique=False)
    op.create_index(
        "notifications_recipientUserId_channelStatus_idx",
        "notifications",
        ["recipientUserId", "channelStatus"],
        unique=False,
    )
    op.create_index(
        "notifications_recipientUserId_idx", "notifications", ["recipientUserId"], unique=False
    )
    op.create_index("notifications_tenantId_idx", "notifications", ["tenantId"], unique=False)
    op.create_index(
        "notifications_tenantId_recipientUserId_idx",
        "notifications",
        ["tenantId", "recipientUserId"],
        unique=False,
    )
    op.create_index("notifications_type_idx", "notifications", ["type"], unique=False)
    op.create_table(
        "permissions",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("roleId", sa.Integer(), nullable=False),
        sa.Column("module", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="permissions_pkey"),
    )
    op.create_index("permissions_roleId_idx", "permissions", ["roleId"], unique=False)
    op.create_index(
        "permissions_roleId_module_action_key",
        "permissions",
        ["roleId", "module", "action"],
        unique=True,
    )
    op.create_index(
        "permissions_roleId_module_idx", "permissions", ["roleId", "module"], unique=False
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("monthlyPrice", sa.Double(), nullable=True),
        sa.Column("yearlyPrice", sa.Double(), nullable=True),
        sa.Column("limits", postgresql.JSONB(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="plans_pkey"),
    )
    op.create_index("plans_name_idx", "plans", ["name"], unique=False)
    op.create_table(
        "recurring_filings",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("clientId", sa.Integer(), nullable=False),
        sa.Column("clientBusinessId", sa.Integer(), nullable=True),
        sa.Column("filingTypeId", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("lastRunAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("nextRunAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="recurring_filings_pkey"),
    )
    op.create_index("recurring_filings_active_idx", "recurring_filings", ["active"], unique=False)
    op.create_index(
        "recurring_filings_clientBusinessId_idx",
        "recurring_filings",
        ["clientBusinessId"],
        unique=False,
    )
    op.create_index(
        "recurring_filings_clientId_idx", "recurring_filings", ["clientId"], unique=False
    )
    op.create_index(
        "recurring_filings_filingTypeId_idx", "recurring_filings", ["filingTypeId"], unique=False
    )
    op.create_index(
        "recurring_filings_nextRunAt_idx", "recurring_filings", ["nextRunAt"], unique=False
    )
    op.create_index(
        "recurring_filings_tenantId_active_nextRunAt_idx",
        "recurring_filings",
        ["tenantId", "active", "nextRunAt"],
        unique=False,
    )
    op.create_index(
        "recurring_filings_tenantId_idx", "recurring_filings", ["tenantId"], unique=False
    )
    op.create_table(
        "requirement_bundle_items",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("bundleId", sa.Integer(), nullable=False),
        sa.Column("documentTypeId", sa.Integer(), nullable=True),
        sa.Column("filingTypeId", sa.Integer(), nullable=True),
        sa.Column("required", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("order", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="requirement_bundle_items_pkey"),
    )
    op.create_index(
        "requirement_bundle_items_bundleId_idx",
        "requirement_bundle_items",
        ["bundleId"],
        unique=False,
    )
    op.create_index(
        "requirement_bundle_items_bundleId_order_idx",
        "requirement_bundle_items",
        ["bundleId", "order"],
        unique=False,
    )
    op.create_index(
        "requirement_bundle_items_documentTypeId_idx",
        "requirement_bundle_items",
        ["documentTypeId"],
        unique=False,
    )
    op.create_index(
        "requirement_bundle_items_filingTypeId_idx",
        "requirement_bundle_items",
        ["filingTypeId"],
        unique=False,
    )
    op.create_table(
        "requirement_bundles",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("authority", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="requirement_bundles_pkey"),
    )
    op.create_index(
        "requirement_bundles_authority_idx", "requirement_bundles", ["authority"], unique=False
    )
    op.create_index(
        "requirement_bundles_category_idx", "requirement_bundles", ["category"], unique=False
    )
    op.create_index(
        "requirement_bundles_tenantId_authority_idx",
        "requirement_bundles",
        ["tenantId", "authority"],
        unique=False,
    )
    op.create_index(
        "requirement_bundles_tenantId_idx", "requirement_bundles", ["tenantId"], unique=False
    )
    op.create_table(
        "roles",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="roles_pkey"),
    )
    op.create_index("roles_tenantId_idx", "roles", ["tenantId"], unique=False)
    op.create_index("roles_tenantId_name_key", "roles", ["tenantId", "name"], unique=True)
    op.create_table(
        "service_request_templates",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("serviceId", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("stepsDefinition", postgresql.JSONB(), nullable=False),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="service_request_templates_pkey"),
    )
    op.create_index(
        "service_request_templates_serviceId_idx",
        "service_request_templates",
        ["serviceId"],
        unique=False,
    )
    op.create_index(
        "service_request_templates_tenantId_idx",
        "service_request_templates",
        ["tenantId"],
        unique=False,
    )
    op.create_table(
        "service_requests",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("clientId", sa.Integer(), nullable=False),
        sa.Column("clientBusinessId", sa.Integer(), nullable=True),
        sa.Column("serviceId", sa.Integer(), nullable=False),
        sa.Column("templateId", sa.Integer(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=True),
        sa.Column("currentStepOrder", sa.Integer(), nullable=True),
        sa.Column("metadata", postgresql.JSONB(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="service_requests_pkey"),
    )
    op.create_index(
        "service_requests_clientBusinessId_idx",
        "service_requests",
        ["clientBusinessId"],
        unique=False,
    )
    op.create_index("service_requests_clientId_idx", "service_requests", ["clientId"], unique=False)
    op.create_index(
        "service_requests_createdAt_idx", "service_requests", ["createdAt"], unique=False
    )
    op.create_index("service_requests_priority_idx", "service_requests", ["priority"], unique=False)
    op.create_index(
        "service_requests_serviceId_idx", "service_requests", ["serviceId"], unique=False
    )
    op.create_index("service_requests_status_idx", "service_requests", ["status"], unique=False)
    op.create_index(
        "service_requests_tenantId_clientId_idx",
        "service_requests",
        ["tenantId", "clientId"],
        unique=False,
    )
    op.create_index("service_requests_tenantId_idx", "service_requests", ["tenantId"], unique=False)
    op.create_index(
        "service_requests_tenantId_status_idx",
        "service_requests",
        ["tenantId", "status"],
        unique=False,
    )
    op.create_index(
        "service_requests_updatedAt_idx", "service_requests", ["updatedAt"], unique=False
    )
    op.create_table(
        "service_steps",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("serviceRequestId", sa.Integer(), nullable=False),
        sa.Column("filingId", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("dueDate", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("requiredDocTypeIds", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column("dependsOnStepId", sa.Integer(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="service_steps_pkey"),
    )
    op.create_index(
        "service_steps_dependsOnStepId_idx", "service_steps", ["dependsOnStepId"], unique=False
    )
    op.create_index("service_steps_dueDate_idx", "service_steps", ["dueDate"], unique=False)
    op.create_index("service_steps_filingId_idx", "service_steps", ["filingId"], unique=False)
    op.create_index(
        "service_steps_serviceRequestId_idx", "service_steps", ["serviceRequestId"], unique=False
    )
    op.create_index(
        "service_steps_serviceRequestId_order_idx",
        "service_steps",
        ["serviceRequestId", "order"],
        unique=False,
    )
    op.create_index(
        "service_steps_serviceRequestId_status_order_idx",
        "service_steps",
        ["serviceRequestId", "status", "order"],
        unique=False,
    )
    op.create_index("service_steps_status_idx", "service_steps", ["status"], unique=False)
    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("basePrice", sa.Double(), nullable=True),
        sa.Column("estimatedDays", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="services_pkey"),
    )
    op.create_index("services_category_idx", "services", ["category"], unique=False)
    op.create_index(
        "services_tenantId_active_idx", "services", ["tenantId", "active"], unique=False
    )
    op.create_index("services_tenantId_idx", "services", ["tenantId"], unique=False)
    op.create_table(
        "session",
        sa.Column("_id", sa.Text(), nullable=False),
        sa.Column("expiresAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.Column("ipAddress", sa.Text(), nullable=True),
        sa.Column("userAgent", sa.Text(), nullable=True),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("_id", name="session_pkey"),
    )
    op.create_index("session_expiresAt_idx", "session", ["expiresAt"], unique=False)
    op.create_index("session_token_key", "session", ["token"], unique=True)
    op.create_index("session_userId_idx", "session", ["userId"], unique=False)
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("planId", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("startDate", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.Column("endDate", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("renewalDate", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="subscriptions_pkey"),
    )
    op.create_index("subscriptions_planId_idx", "subscriptions", ["planId"], unique=False)
    op.create_index("subscriptions_renewalDate_idx", "subscriptions", ["renewalDate"], unique=False)
    op.create_index("subscriptions_status_idx", "subscriptions", ["status"], unique=False)
    op.create_index("subscriptions_tenantId_idx", "subscriptions", ["tenantId"], unique=False)
    op.create_index(
        "subscriptions_tenantId_renewalDate_idx",
        "subscriptions",
        ["tenantId", "renewalDate"],
        unique=False,
    )
    op.create_index(
        "subscriptions_tenantId_status_idx", "subscriptions", ["tenantId", "status"], unique=False
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("clientId", sa.Integer(), nullable=True),
        sa.Column("serviceRequestId", sa.Integer(), nullable=True),
        sa.Column("filingId", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=True),
        sa.Column("dueDate", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("assignedToId", sa.Text(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="tasks_pkey"),
    )
    op.create_index("tasks_assignedToId_idx", "tasks", ["assignedToId"], unique=False)
    op.create_index(
        "tasks_assignedToId_status_dueDate_idx",
        "tasks",
        ["assignedToId", "status", "dueDate"],
        unique=False,
    )
    op.create_index("tasks_clientId_idx", "tasks", ["clientId"], unique=False)
    op.create_index("tasks_dueDate_idx", "tasks", ["dueDate"], unique=False)
    op.create_index("tasks_filingId_idx", "tasks", ["filingId"], unique=False)
    op.create_index("tasks_priority_idx", "tasks", ["priority"], unique=False)
    op.create_index("tasks_serviceRequestId_idx", "tasks", ["serviceRequestId"], unique=False)
    op.create_index("tasks_status_idx", "tasks", ["status"], unique=False)
    op.create_index(
        "tasks_tenantId_assignedToId_idx", "tasks", ["tenantId", "assignedToId"], unique=False
    )
    op.create_index(
        "tasks_tenantId_assignedToId_status_idx",
        "tasks",
        ["tenantId", "assignedToId", "status"],
        unique=False,
    )
    op.create_index("tasks_tenantId_idx", "tasks", ["tenantId"], unique=False)
    op.create_index(
        "tasks_tenantId_status_dueDate_idx",
        "tasks",
        ["tenantId", "status", "dueDate"],
        unique=False,
    )
    op.create_index("tasks_tenantId_status_idx", "tasks", ["tenantId", "status"], unique=False)
    op.create_index("tasks_updatedAt_idx", "tasks", ["updatedAt"], unique=False)
    op.create_table(
        "tenant_users",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenantId", sa.Integer(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("roleId", sa.Integer(), nullable=False),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="tenant_users_pkey"),
    )
    op.create_index("tenant_users_roleId_idx", "tenant_users", ["roleId"], unique=False)
    op.create_index("tenant_users_tenantId_idx", "tenant_users", ["tenantId"], unique=False)
    op.create_index(
        "tenant_users_tenantId_userId_key", "tenant_users", ["tenantId", "userId"], unique=True
    )
    op.create_index("tenant_users_userId_idx", "tenant_users", ["userId"], unique=False)
    op.create_table(
        "tenants",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("contactInfo", postgresql.JSONB(), nullable=True),
        sa.Column("settings", postgresql.JSONB(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="tenants_pkey"),
    )
    op.create_index("tenants_code_key", "tenants", ["code"], unique=True)
    op.create_table(
        "user",
        sa.Column("_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("emailVerified", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("avatarUrl", sa.Text(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.PrimaryKeyConstraint("_id", name="user_pkey"),
    )
    op.create_index("user_createdAt_idx", "user", ["createdAt"], unique=False)
    op.create_index("user_email_idx", "user", ["email"], unique=False)
    op.create_index("user_email_key", "user", ["email"], unique=True)
    op.create_table(
        "verification",
        sa.Column("_id", sa.Text(), nullable=False),
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expiresAt", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            nullable=True,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("updatedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.PrimaryKeyConstraint("_id", name="verification_pkey"),
    )
    op.create_index("verification_expiresAt_idx", "verification", ["expiresAt"], unique=False)
    op.create_index(
        "verification_identifier_value_idx", "verification", ["identifier", "value"], unique=False
    )
    # Foreign keys last: documents <-> document_versions reference each other.
    op.create_foreign_key(
        "account_userId_fkey",
        "account",
        "user",
        ["userId"],
        ["_id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "audit_logs_actorUserId_fkey",
        "audit_logs",
        "user",
        ["actorUserId"],
        ["_id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "audit_logs_clientId_fkey",
        "audit_logs",
        "clients",
        ["clientId"],
        ["id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "audit_logs_tenantId_fkey",
        "audit_logs",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "client_businesses_clientId_fkey",
        "client_businesses",
        "clients",
        ["clientId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "client_businesses_tenantId_fkey",
        "client_businesses",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "client_portal_access_clientId_fkey",
        "client_portal_access",
        "clients",
        ["clientId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "client_portal_access_tenantId_fkey",
        "client_portal_access",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "client_portal_access_userId_fkey",
        "client_portal_access",
        "user",
        ["userId"],
        ["_id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "client_tasks_clientId_fkey",
        "client_tasks",
        "clients",
        ["clientId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "client_tasks_serviceRequestId_fkey",
        "client_tasks",
        "service_requests",
        ["serviceRequestId"],
        ["id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "client_tasks_tenantId_fkey",
        "client_tasks",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "clients_tenantId_fkey",
        "clients",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "compliance_rule_sets_tenantId_fkey",
        "compliance_rule_sets",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "compliance_rules_ruleSetId_fkey",
        "compliance_rules",
        "compliance_rule_sets",
        ["ruleSetId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "compliance_scores_clientId_fkey",
        "compliance_scores",
        "clients",
        ["clientId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "compliance_scores_tenantId_fkey",
        "compliance_scores",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "conversations_clientId_fkey",
        "conversations",
        "clients",
        ["clientId"],
        ["id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "conversations_serviceRequestId_fkey",
        "conversations",
        "service_requests",
        ["serviceRequestId"],
        ["id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "conversations_tenantId_fkey",
        "conversations",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "document_types_tenantId_fkey",
        "document_types",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "document_versions_documentId_fkey",
        "document_versions",
        "documents",
        ["documentId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "documents_clientBusinessId_fkey",
        "documents",
        "client_businesses",
        ["clientBusinessId"],
        ["id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "documents_clientId_fkey",
        "documents",
        "clients",
        ["clientId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "documents_documentTypeId_fkey",
        "documents",
        "document_types",
        ["documentTypeId"],
        ["id"],
        ondelete="RESTRICT",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "documents_latestVersionId_fkey",
        "documents",
        "document_versions",
        ["latestVersionId"],
        ["id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "documents_tenantId_fkey",
        "documents",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "filing_documents_documentId_fkey",
        "filing_documents",
        "documents",
        ["documentId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "filing_documents_filingId_fkey",
        "filing_documents",
        "filings",
        ["filingId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "filing_types_tenantId_fkey",
        "filing_types",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "filings_clientBusinessId_fkey",
        "filings",
        "client_businesses",
        ["clientBusinessId"],
        ["id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "filings_clientId_fkey",
        "filings",
        "clients",
        ["clientId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "filings_filingTypeId_fkey",
        "filings",
        "filing_types",
        ["filingTypeId"],
        ["id"],
        ondelete="RESTRICT",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "filings_tenantId_fkey",
        "filings",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "messages_authorId_fkey",
        "messages",
        "user",
        ["authorId"],
        ["_id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "messages_conversationId_fkey",
        "messages",
        "conversations",
        ["conversationId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "notifications_recipientUserId_fkey",
        "notifications",
        "user",
        ["recipientUserId"],
        ["_id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "notifications_tenantId_fkey",
        "notifications",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "permissions_roleId_fkey",
        "permissions",
        "roles",
        ["roleId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "recurring_filings_clientBusinessId_fkey",
        "recurring_filings",
        "client_businesses",
        ["clientBusinessId"],
        ["id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "recurring_filings_clientId_fkey",
        "recurring_filings",
        "clients",
        ["clientId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "recurring_filings_filingTypeId_fkey",
        "recurring_filings",
        "filing_types",
        ["filingTypeId"],
        ["id"],
        ondelete="RESTRICT",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "recurring_filings_tenantId_fkey",
        "recurring_filings",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "requirement_bundle_items_bundleId_fkey",
        "requirement_bundle_items",
        "requirement_bundles",
        ["bundleId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "requirement_bundle_items_documentTypeId_fkey",
        "requirement_bundle_items",
        "document_types",
        ["documentTypeId"],
        ["id"],
        ondelete="RESTRICT",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "requirement_bundle_items_filingTypeId_fkey",
        "requirement_bundle_items",
        "filing_types",
        ["filingTypeId"],
        ["id"],
        ondelete="RESTRICT",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "requirement_bundles_tenantId_fkey",
        "requirement_bundles",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "roles_tenantId_fkey",
        "roles",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "service_request_templates_serviceId_fkey",
        "service_request_templates",
        "services",
        ["serviceId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "service_request_templates_tenantId_fkey",
        "service_request_templates",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "service_requests_clientBusinessId_fkey",
        "service_requests",
        "client_businesses",
        ["clientBusinessId"],
        ["id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "service_requests_clientId_fkey",
        "service_requests",
        "clients",
        ["clientId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "service_requests_serviceId_fkey",
        "service_requests",
        "services",
        ["serviceId"],
        ["id"],
        ondelete="RESTRICT",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "service_requests_templateId_fkey",
        "service_requests",
        "service_request_templates",
        ["templateId"],
        ["id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "service_requests_tenantId_fkey",
        "service_requests",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "service_steps_dependsOnStepId_fkey",
        "service_steps",
        "service_steps",
        ["dependsOnStepId"],
        ["id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "service_steps_filingId_fkey",
        "service_steps",
        "filings",
        ["filingId"],
        ["id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "service_steps_serviceRequestId_fkey",
        "service_steps",
        "service_requests",
        ["serviceRequestId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "services_tenantId_fkey",
        "services",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "session_userId_fkey",
        "session",
        "user",
        ["userId"],
        ["_id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "subscriptions_planId_fkey",
        "subscriptions",
        "plans",
        ["planId"],
        ["id"],
        ondelete="RESTRICT",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "subscriptions_tenantId_fkey",
        "subscriptions",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "tasks_assignedToId_fkey",
        "tasks",
        "user",
        ["assignedToId"],
        ["_id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "tasks_clientId_fkey",
        "tasks",
        "clients",
        ["clientId"],
        ["id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "tasks_filingId_fkey",
        "tasks",
        "filings",
        ["filingId"],
        ["id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "tasks_serviceRequestId_fkey",
        "tasks",
        "service_requests",
        ["serviceRequestId"],
        ["id"],
        ondelete="SET NULL",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "tasks_tenantId_fkey",
        "tasks",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "tenant_users_roleId_fkey",
        "tenant_users",
        "roles",
        ["roleId"],
        ["id"],
        ondelete="RESTRICT",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "tenant_users_tenantId_fkey",
        "tenant_users",
        "tenants",
        ["tenantId"],
        ["id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
    op.create_foreign_key(
        "tenant_users_userId_fkey",
        "tenant_users",
        "user",
        ["userId"],
        ["_id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )


def downgrade() -> None:
    op.drop_constraint("account_userId_fkey", "account", type_="foreignkey")
    op.drop_constraint("audit_logs_actorUserId_fkey", "audit_logs", type_="foreignkey")
    op.drop_constraint("audit_logs_clientId_fkey", "audit_logs", type_="foreignkey")
    op.drop_constraint("audit_logs_tenantId_fkey", "audit_logs", type_="foreignkey")
    op.drop_constraint("client_businesses_clientId_fkey", "client_businesses", type_="foreignkey")
    op.drop_constraint("client_businesses_tenantId_fkey", "client_businesses", type_="foreignkey")
    op.drop_constraint(
        "client_portal_access_clientId_fkey", "client_portal_access", type_="foreignkey"
    )
    op.drop_constraint(
        "client_portal_access_tenantId_fkey", "client_portal_access", type_="foreignkey"
    )
    op.drop_constraint(
        "client_portal_access_userId_fkey", "client_portal_access", type_="foreignkey"
    )
    op.drop_constraint("client_tasks_clientId_fkey", "client_tasks", type_="foreignkey")
    op.drop_constraint("client_tasks_serviceRequestId_fkey", "client_tasks", type_="foreignkey")
    op.drop_constraint("client_tasks_tenantId_fkey", "client_tasks", type_="foreignkey")
    op.drop_constraint("clients_tenantId_fkey", "clients", type_="foreignkey")
    op.drop_constraint(
        "compliance_rule_sets_tenantId_fkey", "compliance_rule_sets", type_="foreignkey"
    )
    op.drop_constraint("compliance_rules_ruleSetId_fkey", "compliance_rules", type_="foreignkey")
    op.drop_constraint("compliance_scores_clientId_fkey", "compliance_scores", type_="foreignkey")
    op.drop_constraint("compliance_scores_tenantId_fkey", "compliance_scores", type_="foreignkey")
    op.drop_constraint("conversations_clientId_fkey", "conversations", type_="foreignkey")
    op.drop_constraint("conversations_serviceRequestId_fkey", "conversations", type_="foreignkey")
    op.drop_constraint("conversations_tenantId_fkey", "conversations", type_="foreignkey")
    op.drop_constraint("document_types_tenantId_fkey", "document_types", type_="foreignkey")
    op.drop_constraint("document_versions_documentId_fkey", "document_versions", type_="foreignkey")
    op.drop_constraint("documents_clientBusinessId_fkey", "documents", type_="foreignkey")
    op.drop_constraint("documents_clientId_fkey", "documents", type_="foreignkey")
    op.drop_constraint("documents_documentTypeId_fkey", "documents", type_="foreignkey")
    op.drop_constraint("documents_latestVersionId_fkey", "documents", type_="foreignkey")
    op.drop_constraint("documents_tenantId_fkey", "documents", type_="foreignkey")
    op.drop_constraint("filing_documents_documentId_fkey", "filing_documents", type_="foreignkey")
    op.drop_constraint("filing_documents_filingId_fkey", "filing_documents", type_="foreignkey")
    op.drop_constraint("filing_types_tenantId_fkey", "filing_types", type_="foreignkey")
    op.drop_constraint("filings_clientBusinessId_fkey", "filings", type_="foreignkey")
    op.drop_constraint("filings_clientId_fkey", "filings", type_="foreignkey")
    op.drop_constraint("filings_filingTypeId_fkey", "filings", type_="foreignkey")
    op.drop_constraint("filings_tenantId_fkey", "filings", type_="foreignkey")
    op.drop_constraint("messages_authorId_fkey", "messages", type_="foreignkey")
    op.drop_constraint("messages_conversationId_fkey", "messages", type_="foreignkey")
    op.drop_constraint("notifications_recipientUserId_fkey", "notifications", type_="foreignkey")
    op.drop_constraint("notifications_tenantId_fkey", "notifications", type_="foreignkey")
    op.drop_constraint("permissions_roleId_fkey", "permissions", type_="foreignkey")
    op.drop_constraint(
        "recurring_filings_clientBusinessId_fkey", "recurring_filings", type_="foreignkey"
    )
    op.drop_constraint("recurring_filings_clientId_fkey", "recurring_filings", type_="foreignkey")
    op.drop_constraint(
        "recurring_filings_filingTypeId_fkey", "recurring_filings", type_="foreignkey"
    )
    op.drop_constraint("recurring_filings_tenantId_fkey", "recurring_filings", type_="foreignkey")
    op.drop_constraint(
        "requirement_bundle_items_bundleId_fkey", "requirement_bundle_items", type_="foreignkey"
    )
    op.drop_constraint(
        "requirement_bundle_items_documentTypeId_fkey",
        "requirement_bundle_items",
        type_="foreignkey",
    )
    op.drop_constraint(
        "requirement_bundle_items_filingTypeId_fkey", "requirement_bundle_items", type_="foreignkey"
    )
    op.drop_constraint(
        "requirement_bundles_tenantId_fkey", "requirement_bundles", type_="foreignkey"
    )
    op.drop_constraint("roles_tenantId_fkey", "roles", type_="foreignkey")
    op.drop_constraint(
        "service_request_templates_serviceId_fkey", "service_request_templates", type_="foreignkey"
    )
    op.drop_constraint(
        "service_request_templates_tenantId_fkey", "service_request_templates", type_="foreignkey"
    )
    op.drop_constraint(
        "service_requests_clientBusinessId_fkey", "service_requests", type_="foreignkey"
    )
    op.drop_constraint("service_requests_clientId_fkey", "service_requests", type_="foreignkey")
    op.drop_constraint("service_requests_serviceId_fkey", "service_requests", type_="foreignkey")
    op.drop_constraint("service_requests_templateId_fkey", "service_requests", type_="foreignkey")
    op.drop_constraint("service_requests_tenantId_fkey", "service_requests", type_="foreignkey")
    op.drop_constraint("service_steps_dependsOnStepId_fkey", "service_steps", type_="foreignkey")
    op.drop_constraint("service_steps_filingId_fkey", "service_steps", type_="foreignkey")
    op.drop_constraint("service_steps_serviceRequestId_fkey", "service_steps", type_="foreignkey")
    op.drop_constraint("services_tenantId_fkey", "services", type_="foreignkey")
    op.drop_constraint("session_userId_fkey", "session", type_="foreignkey")
    op.drop_constraint("subscriptions_planId_fkey", "subscriptions", type_="foreignkey")
    op.drop_constraint("subscriptions_tenantId_fkey", "subscriptions", type_="foreignkey")
    op.drop_constraint("tasks_assignedToId_fkey", "tasks", type_="foreignkey")
    op.drop_constraint("tasks_clientId_fkey", "tasks", type_="foreignkey")
    op.drop_constraint("tasks_filingId_fkey", "tasks", type_="foreignkey")
    op.drop_constraint("tasks_serviceRequestId_fkey", "tasks", type_="foreignkey")
    op.drop_constraint("tasks_tenantId_fkey", "tasks", type_="foreignkey")
    op.drop_constraint("tenant_users_roleId_fkey", "tenant_users", type_="foreignkey")
    op.drop_constraint("tenant_users_tenantId_fkey", "tenant_users", type_="foreignkey")
    op.drop_constraint("tenant_users_userId_fkey", "tenant_users", type_="foreignkey")
    op.drop_table("account")
    op.drop_table("audit_logs")
    op.drop_table("client_businesses")
    op.drop_table("client_portal_access")
    op.drop_table("client_tasks")
    op.drop_table("clients")
    op.drop_table("compliance_rule_sets")
    op.drop_table("compliance_rules")
    op.drop_table("compliance_scores")
    op.drop_table("conversations")
    op.drop_table("document_types")
    op.drop_table("document_versions")
    op.drop_table("documents")
    op.drop_table("filing_documents")
    op.drop_table("filing_types")
    op.drop_table("filings")
    op.drop_table("messages")
    op.drop_table("notifications")
    op.drop_table("permissions")
    op.drop_table("plans")
    op.drop_table("recurring_filings")
    op.drop_table("requirement_bundle_items")
    op.drop_table("requirement_bundles")
    op.drop_table("roles")
    op.drop_table("service_request_templates")
    op.drop_table("service_requests")
    op.drop_table("service_steps")
    op.drop_table("services")
    op.drop_table("session")
    op.drop_table("subscriptions")
    op.drop_table("tasks")
    op.drop_table("tenant_users")
    op.drop_table("tenants")
    op.drop_table("user")
    op.drop_table("verification")
