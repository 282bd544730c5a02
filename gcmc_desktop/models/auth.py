"""Better-Auth tables shared with the web platform: user, session, account, verification."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import NOW, Base, Timestamp, new_id, utcnow

if TYPE_CHECKING:
    from .tenancy import TenantUser


class User(Base):
    __tablename__ = "user"

    __table_args__ = (
        Index("user_createdAt_idx", "createdAt"),
        Index("user_email_idx", "email"),
        Index("user_email_key", "email", unique=True),
    )

    id: Mapped[str] = mapped_column("_id", Text, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column("name", Text, nullable=False)
    email: Mapped[str] = mapped_column("email", Text, nullable=False)
    email_verified: Mapped[bool] = mapped_column(
        "emailVerified", Boolean, server_default=text("false"), nullable=False
    )
    image: Mapped[str | None] = mapped_column("image", Text, nullable=True)
    phone: Mapped[str | None] = mapped_column("phone", Text, nullable=True)
    avatar_url: Mapped[str | None] = mapped_column("avatarUrl", Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    memberships: Mapped[list[TenantUser]] = relationship(
        back_populates="user", passive_deletes="all"
    )
    accounts: Mapped[list[Account]] = relationship(back_populates="user", passive_deletes="all")
    sessions: Mapped[list[Session]] = relationship(back_populates="user", passive_deletes="all")


class Session(Base):
    __tablename__ = "session"

    __table_args__ = (
        Index("session_expiresAt_idx", "expiresAt"),
        Index("session_token_key", "token", unique=True),
        Index("session_userId_idx", "userId"),
    )

    id: Mapped[str] = mapped_column("_id", Text, primary_key=True, default=new_id)
    expires_at: Mapped[datetime] = mapped_column("expiresAt", Timestamp, nullable=False)
    token: Mapped[str] = mapped_column("token", Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )
    ip_address: Mapped[str | None] = mapped_column("ipAddress", Text, nullable=True)
    user_agent: Mapped[str | None] = mapped_column("userAgent", Text, nullable=True)
    user_id: Mapped[str] = mapped_column(
        "userId",
        Text,
        ForeignKey("user._id", name="session_userId_fkey", ondelete="CASCADE", onupdate="CASCADE"),
        nullable=False,
    )

    user: Mapped[User] = relationship(back_populates="sessions")


class Account(Base):
    __tablename__ = "account"

    __table_args__ = (
        Index("account_accountId_idx", "accountId"),
        Index("account_providerId_idx", "providerId"),
        Index("account_userId_idx", "userId"),
    )

    id: Mapped[str] = mapped_column("_id", Text, primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column("accountId", Text, nullable=False)
    provider_id: Mapped[str] = mapped_column("providerId", Text, nullable=False)
    user_id: Mapped[str] = mapped_column(
        "userId",
        Text,
        ForeignKey("user._id", name="account_userId_fkey", ondelete="CASCADE", onupdate="CASCADE"),
        nullable=False,
    )
    access_token: Mapped[str | None] = mapped_column("accessToken", Text, nullable=True)
    refresh_token: Mapped[str | None] = mapped_column("refreshToken", Text, nullable=True)
    id_token: Mapped[str | None] = mapped_column("idToken", Text, nullable=True)
    access_token_expires_at: Mapped[datetime | None] = mapped_column(
        "accessTokenExpiresAt", Timestamp, nullable=True
    )
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(
        "refreshTokenExpiresAt", Timestamp, nullable=True
    )
    scope: Mapped[str | None] = mapped_column("scope", Text, nullable=True)
    password: Mapped[str | None] = mapped_column("password", Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    user: Mapped[User] = relationship(back_populates="accounts")


class Verification(Base):
    __tablename__ = "verification"

    __table_args__ = (
        Index("verification_expiresAt_idx", "expiresAt"),
        Index("verification_identifier_value_idx", "identifier", "value"),
    )

    id: Mapped[str] = mapped_column("_id", Text, primary_key=True, default=new_id)
    identifier: Mapped[str] = mapped_column("identifier", Text, nullable=False)
    value: Mapped[str] = mapped_column("value", Text, nullable=False)
    expires_at: Mapped[datetime] = mapped_column("expiresAt", Timestamp, nullable=False)
    created_at: Mapped[datetime | None] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=True
    )
    updated_at: Mapped[datetime | None] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=True
    )
