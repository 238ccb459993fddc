"""Completion logic, without a terminal, over a small virtual /sys."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iommush.repl.suggest import CompletionContext, Suggestion, quote_word, suggest
from iommush.shell.command import CommandTable
from iommush.vfs import VirtualFS


@pytest.fixture
def ctx(tree: VirtualFS, table: CommandTable) -> CompletionContext:
    return CompletionContext(
        tree,
        "/root",
        table,
        machines=["laptop", "server"],
        variables={"HOME": "/root", "PATH": "/bin", "PS1": "$ "},
        modules=["vfio-pci", "vfio", "e1000e"],
    )


def texts(found: list[Suggestion]) -> list[str]:
    return [s.text for s in found]


def test_command_names_in_command_position(ctx) -> None:
    found = suggest("ls", ctx)
    assert texts(found) == ["ls", "lspci"]
    assert found[0].replace == 2 and found[0].meta == "list directory contents"


def test_command_position_after_separators_and_keywords(ctx) -> None:
    for line in ("true; ec", "true && ec", "cat x | ec", "if ec", "for i in 1; do ec", "X=1 ec"):
        assert "echo" in texts(suggest(line, ctx)), line


def test_keywords_are_offered_in_command_position(ctx) -> None:
    assert "for" in texts(suggest("fo", ctx))


def test_options_of_the_current_command(ctx) -> None:
    assert texts(suggest("ls -", ctx)) == ["--all", "-a", "-l"]
    assert texts(suggest("lspci -n", ctx)) == ["-n", "-nn"]
    assert suggest("nosuch -", ctx) == []


def test_paths_absolute_and_relative_to_the_cwd(ctx) -> None:
    assert texts(suggest("cat /sys/k", ctx)) == ["/sys/kernel/"]
    assert texts(suggest("cat no", ctx)) == ["notes.txt"]
    ctx.cwd = "/sys/kernel"
    assert texts(suggest("cat iommu_groups/7/t", ctx)) == ["iommu_groups/7/type"]
    assert texts(suggest("cat ../bus/pci/d", ctx)) == [
        "../bus/pci/devices/",
        "../bus/pci/drivers/",
        "../bus/pci/drivers_probe",
    ]


def test_directories_get_a_trailing_slash_through_symlinks(ctx) -> None:
    found = suggest("ls /sys/bus/pci/devices/0000:01:00.", ctx)
    assert texts(found) == [
        "/sys/bus/pci/devices/0000:01:00.0/",
        "/sys/bus/pci/devices/0000:01:00.1/",
    ]
    assert {s.kind for s in found} == {"dir"}


def test_group_numbers_complete_as_paths(ctx) -> None:
    assert texts(suggest("cat /sys/kernel/iommu_groups/", ctx)) == [
        "/sys/kernel/iommu_groups/0/",
        "/sys/kernel/iommu_groups/7/",
    ]


def test_special_characters_are_escaped(ctx) -> None:
    assert texts(suggest("cat my", ctx)) == ["my\\ file"]
    assert quote_word("a b$c") == "a\\ b\\$c"
    assert quote_word("~x") == "\\~x"


def test_a_quoted_word_is_completed_and_requoted(ctx) -> None:
    found = suggest('cat "my', ctx)
    assert texts(found) == ["my\\ file"] and found[0].replace == 3


def test_home_tilde(ctx) -> None:
    ctx.cwd = "/"
    assert texts(suggest("cat ~/no", ctx)) == ["~/notes.txt"]


def test_cd_offers_directories_only(ctx) -> None:
    ctx.cwd = "/sys/kernel/iommu_groups/7"
    assert texts(suggest("cd ", ctx)) == ["devices/"]
    assert texts(suggest("cat ", ctx)) == ["devices/", "reserved_regions", "type"]


def test_redirect_target_is_a_path(ctx) -> None:
    assert texts(suggest("echo DMA > /sys/kernel/iommu_groups/7/ty", ctx)) == [
        "/sys/kernel/iommu_groups/7/type"
    ]
    assert texts(suggest("cat </sys/k", ctx)) == ["/sys/kernel/"]


def test_domain_types_for_a_group_type_file(ctx) -> None:
    found = suggest("echo ", ctx, after=" > /sys/kernel/iommu_groups/7/type")
    assert texts(found) == ["DMA", "DMA-FQ", "auto", "identity"]
    assert all(s.kind == "value" and s.meta for s in found)
    assert texts(suggest("echo D", ctx, after=" >/sys/kernel/iommu_groups/7/type")) == [
        "DMA",
        "DMA-FQ",
    ]


def test_value_when_the_redirect_comes_first_or_relative(ctx) -> None:
    assert "identity" in texts(suggest("> /sys/kernel/iommu_groups/0/type echo ", ctx))
    ctx.cwd = "/sys/kernel/iommu_groups/7"
    assert "identity" in texts(suggest("echo ", ctx, after=" > type"))


def test_value_through_tee(ctx) -> None:
    found = suggest("echo ", ctx, after=" | sudo tee -a /sys/kernel/iommu_groups/0/type")
    assert "DMA-FQ" in texts(found)


def test_driver_override_offers_loaded_drivers(ctx) -> None:
    found = suggest("echo v", ctx, after=" > /sys/bus/pci/devices/0000:01:00.0/driver_override")
    assert texts(found) == ["vfio-pci"]


def test_bind_offers_devices_and_says_what_is_bound(ctx) -> None:
    found = suggest("echo ", ctx, after=" > /sys/bus/pci/drivers/vfio-pci/bind")
    assert texts(found) == ["0000:00:02.0", "0000:01:00.0", "0000:01:00.1"]
    assert found[1].meta == "no driver" and found[2].meta == "bound to snd_hda_intel"
    probe = suggest("echo 0000:01", ctx, after=" > /sys/bus/pci/drivers_probe")
    assert texts(probe) == ["0000:01:00.0", "0000:01:00.1"]


def test_unbind_offers_the_devices_bound_to_that_driver(ctx) -> None:
    assert texts(suggest("echo ", ctx, after=" > /sys/bus/pci/drivers/snd_hda_intel/unbind")) == [
        "0000:01:00.1"
    ]
    # through the device's driver link
    after = " > /sys/bus/pci/devices/0000:00:02.0/driver/unbind"
    assert texts(suggest("echo ", ctx, after=after)) == ["0000:00:02.0"]


def test_sriov_numvfs_offers_zero_to_total(ctx) -> None:
    after = " > /sys/bus/pci/devices/0000:00:02.0/sriov_numvfs"
    assert texts(suggest("echo ", ctx, after=after)) == [str(n) for n in range(8)]


def test_new_id_offers_vendor_device_pairs(ctx) -> None:
    found = suggest("echo ", ctx, after=" > /sys/bus/pci/drivers/vfio-pci/new_id")
    assert "10de\\ 1eb8" in texts(found)


def test_tracefs_values(ctx) -> None:
    assert texts(suggest("echo ", ctx, after=" > /sys/kernel/tracing/set_event")) == [
        "iommu:map",
        "iommu:unmap",
    ]
    assert texts(suggest("echo ", ctx, after=" > /sys/kernel/tracing/tracing_on")) == ["0", "1"]


def test_unknown_target_falls_back_to_paths(ctx) -> None:
    assert texts(suggest("echo no", ctx, after=" > /tmp/out")) == ["notes.txt"]


def test_bdf_arguments(ctx) -> None:
    assert texts(suggest("lspci -s 0000:01:00.", ctx)) == ["0000:01:00.0", "0000:01:00.1"]


def test_machine_names_after_machine_option(ctx) -> None:
    assert texts(suggest("reset --machine ", ctx)) == ["laptop", "server"]
    assert texts(suggest("reset --machine=l", ctx)) == ["--machine=laptop"]
    assert texts(suggest("reset --kernel 6.1", ctx)) == ["6.12"]


def test_modules_help_topics_and_variables(ctx) -> None:
    assert texts(suggest("modprobe vf", ctx)) == ["vfio", "vfio-pci"]
    assert texts(suggest("help ls", ctx)) == ["ls", "lspci"]
    assert texts(suggest("man iommush", ctx)) == ["iommush", "iommush-sysfs"]
    assert texts(suggest("echo $P", ctx)) == ["$PATH", "$PS1"]
    assert texts(suggest('echo "${HO', ctx)) == ['"${HOME}']
    assert suggest("echo '$P", ctx) == [] or "$PATH" not in texts(suggest("echo '$P", ctx))


def test_assignment_value_is_a_path(ctx) -> None:
    assert texts(suggest("D=/sys/ke", ctx)) == ["D=/sys/kernel/"]


def test_nothing_inside_a_comment(ctx) -> None:
    assert suggest("ls # /sys/k", ctx) == []


def test_unreadable_places_give_nothing_not_errors(ctx) -> None:
    assert suggest("cat /nonexistent/x", ctx) == []
    assert suggest("cat /root/notes.txt/", ctx) == []


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=st.sampled_from(list("ab /$'\"\\|;&<>(){}#=-.*~:0\n")), max_size=30))
def test_suggest_never_raises(tree: VirtualFS, table: CommandTable, text: str) -> None:
    ctx = CompletionContext(tree, "/", table, variables={"HOME": "/root"})
    for s in suggest(text, ctx):
        assert 0 <= s.replace <= len(text)
