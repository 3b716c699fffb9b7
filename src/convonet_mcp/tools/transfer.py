"""Call-transfer tools: hand the user to a human agent, and list the departments."""

from __future__ import annotations

from typing import Annotated

from fastmcp import FastMCP
from pydantic import Field
from sqlalchemy.orm import Session

from convonet_mcp.models import Channel, User
from convonet_mcp.services import transfers
from convonet_mcp.tools._kit import Registrar, Runtime
from convonet_mcp.tools.schemas import DepartmentOut, Result, TransferOut


class TransferResult(Result):
    transfer: TransferOut


class DepartmentList(Result):
    departments: list[DepartmentOut]


def register(mcp: FastMCP, rt: Runtime) -> None:
    """Add the two call-transfer tools."""
    tool = Registrar(mcp, rt, "transfer")
    on_phone = rt.channel == Channel.phone

    @tool("create", "Transfer to a human agent")
    def transfer_to_agent(
        department: Annotated[
            str,
            Field(description='"support", "sales" or "technical" (see get_available_departments).'),
        ] = "support",
        reason: Annotated[
            str,
            Field(max_length=1000, description="One sentence the agent reads before answering."),
        ] = "",
    ) -> TransferResult:
        """Hand the user to a person in the call center.

        Use when the user asks for a human ("let me talk to a person", "transfer me to
        sales") or when you cannot help. Returns the department's extension; the phone or
        browser app connects the call.
        """

        def act(s: Session, a: User) -> TransferResult:
            transfer = transfers.request_transfer(
                s,
                a,
                department=department,
                reason=reason,
                channel=rt.channel,
                call_sid=rt.conversation_id if on_phone else None,
                session_id=None if on_phone else rt.conversation_id,
            )
            out = TransferOut.of(transfer)
            return TransferResult(
                summary=f"Transferring you to {out.department} at extension {out.extension}.",
                transfer=out,
            )

        return rt.run(act)

    @tool("read", "List departments")
    def get_available_departments() -> DepartmentList:
        """List the call-center departments a user can be transferred to."""

        def act(s: Session, a: User) -> DepartmentList:
            found = [DepartmentOut.of(d) for d in transfers.list_departments(s)]
            names = ", ".join(d.name for d in found) or "none"
            return DepartmentList(summary=f"Available departments: {names}.", departments=found)

        return rt.run(act)
