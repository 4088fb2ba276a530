"""Load the checked-in programme files (renkou/benefits/data/*.json) on first migrate. Later
changes of the files: `renkou benefits load`."""

from django.db import migrations


def load_programmes(apps, schema_editor):
    from renkou.benefits import programmes

    programmes.load(apps.get_model("benefits", "Programme"))


class Migration(migrations.Migration):
    dependencies = [("benefits", "0001_initial")]

    operations = [migrations.RunPython(load_programmes, migrations.RunPython.noop)]
