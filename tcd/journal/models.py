"""The journal's tables, modelled on ARA's (playbooks → plays → tasks → results): here
runs → sites → hosts → results, plus the WireGuard public-key registry.

A run is one `tcd rollout` or `tcd verify`. Each row is written in its own short transaction as
the run goes, so a run killed at any point leaves rows that are true up to that point: a site
still `running` in a run whose process is gone reads as interrupted (tcd.journal.status).
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        dt.datetime: DateTime(timezone=True),
    }


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # rollout | verify
    target: Mapped[str] = mapped_column(String(64))  # "field" or "lab NAME"
    wave: Mapped[str | None] = mapped_column(String(32))
    operator: Mapped[str] = mapped_column(String(64))
    controller: Mapped[str] = mapped_column(String(255))  # host name of the controller
    pid: Mapped[int]
    git_commit: Mapped[str | None] = mapped_column(String(40))
    git_dirty: Mapped[bool | None]
    inventory_digest: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[list[str]]
    dry: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    # running | succeeded | failed | interrupted (Ctrl-C, or the process died)
    outcome: Mapped[str] = mapped_column(String(16))
    log_path: Mapped[str | None] = mapped_column(String(1024))
    resumed_from: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))

    sites: Mapped[list["SiteRun"]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="SiteRun.id"
    )


class SiteRun(Base):
    """One site in one run."""

    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("run_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    code: Mapped[int] = mapped_column(index=True)
    wave: Mapped[str | None] = mapped_column(String(32))
    batch: Mapped[int | None]  # 1 = the canary
    # pending | running | deployed | verifying | done | failed | unreachable | not started;
    # a verify run: verified | drifted | unreachable
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(2048))
    started_at: Mapped[dt.datetime | None]
    deployed_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    operations_changed: Mapped[int] = mapped_column(default=0)
    # the verify gate's (or a verify run's) counts: {"passed": 70, "failed": 2, …}
    verify: Mapped[dict[str, Any] | None]

    run: Mapped[Run] = relationship(back_populates="sites")
    hosts: Mapped[list["HostRun"]] = relationship(
        back_populates="site", cascade="all, delete-orphan", order_by="HostRun.id"
    )


class HostRun(Base):
    __tablename__ = "hosts"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16))  # unchanged | changed | failed | unreachable

    site: Mapped[SiteRun] = relationship(back_populates="hosts")
    results: Mapped[list["Result"]] = relationship(
        back_populates="host", cascade="all, delete-orphan", order_by="Result.id"
    )


class Result(Base):
    """What happened on a host: an operation that changed, an error, something left to a
    person, or a verify control that did not pass."""

    __tablename__ = "results"

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # changed | error | attention | control
    name: Mapped[str] = mapped_column(String(255))
    detail: Mapped[str | None] = mapped_column(String(4096))

    host: Mapped[HostRun] = relationship(back_populates="results")


class HubKey(Base):
    """A hub's WireGuard public key (the private key never leaves the hub)."""

    __tablename__ = "hub_keys"

    office: Mapped[str] = mapped_column(String(16), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime]


class SpokeKey(Base):
    """A site gateway's public key on its tunnel to one office."""

    __tablename__ = "spoke_keys"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    office: Mapped[str] = mapped_column(String(16), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime]
