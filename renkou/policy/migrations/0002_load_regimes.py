"""Load the checked-in regime files (renkou/policy/data/regimes/*.json) on first migrate, so
the evaluator never runs without regimes. Later changes of the files: `renkou policy load`."""

from django.db import migrations


def load_regimes(apps, schema_editor):
    from renkou.policy import regimes

    regimes.load(apps.get_model("policy", "Regime"))


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]

    operations = [migrations.RunPython(load_regimes, migrations.RunPython.noop)]
