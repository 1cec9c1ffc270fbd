"""The partial batch answer and the FIFO rule: a failure holds back the rest of its group."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from activity_poster.adapters.partial_batch import failed_in_order, message_group, response


def fifo_record(message_id: str, group: str | None) -> dict:
    attributes = {"ApproximateReceiveCount": "1"}
    if group is not None:
        attributes["MessageGroupId"] = group
    return {"messageId": message_id, "attributes": attributes, "body": "{}"}


def test_the_answer_names_each_failed_message_in_order() -> None:
    assert response(["b", "a"]) == {
        "batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "a"}]
    }
    assert response([]) == {"batchItemFailures": []}


def test_a_failure_holds_back_the_rest_of_its_group_only() -> None:
    records = [
        fifo_record("1", "A"),
        fifo_record("2", "B"),
        fifo_record("3", "A"),
        fifo_record("4", "B"),
        fifo_record("5", "A"),
    ]
    tried: list[str] = []

    def handle(record: dict) -> bool:
        tried.append(record["messageId"])
        return record["messageId"] != "3"

    assert failed_in_order(records, handle) == ["3", "5"]
    assert tried == ["1", "2", "3", "4"]  # 5 waits behind 3, in its group's order


def test_a_record_without_a_group_id_has_no_group() -> None:
    assert message_group({"messageId": "1"}) is None
    assert message_group({"messageId": "1", "attributes": {"MessageGroupId": 7}}) is None
    assert message_group(fifo_record("1", "g")) == "g"


@given(st.lists(st.tuples(st.sampled_from("ABC"), st.booleans()), max_size=30))
def test_fifo_failures_match_the_rule(plan: list[tuple[str, bool]]) -> None:
    records = [fifo_record(str(index), group) for index, (group, _) in enumerate(plan)]
    succeeds = {str(index): ok for index, (_, ok) in enumerate(plan)}
    tried: list[str] = []

    def handle(record: dict) -> bool:
        tried.append(record["messageId"])
        return succeeds[record["messageId"]]

    failed = failed_in_order(records, handle)

    expected_failed, expected_tried, broken = [], [], set()
    for index, (group, ok) in enumerate(plan):
        if group in broken:
            expected_failed.append(str(index))
            continue
        expected_tried.append(str(index))
        if not ok:
            broken.add(group)
            expected_failed.append(str(index))
    assert failed == expected_failed
    assert tried == expected_tried
